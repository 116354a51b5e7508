"""Ending a user's other sessions and sign-in tokens, after anything that changes who can
get into the account (a recovery, a password change, removed passkeys, an admin's reset or
wipe, disabling).

Each user has a session epoch in the database. A browser session records the epoch it was
signed in under; ``SessionEpochMiddleware`` signs out any session whose epoch is no longer
the user's. ``end_other_sessions`` bumps the epoch (and notes when), keeping one session
alive when asked: the one of the person who made the change, and sends ``sessions_ended`` in
the same transaction so that whatever else holds access for the user (the OpenID Provider's
codes and tokens) ends with the sessions, all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, logout
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from auth_methods.models import User

EPOCH = "passgate_session_epoch"

# Sent with ``user`` and ``at`` inside end_other_sessions' transaction, the user's row locked.
# The core knows nothing of the doors that hand out tokens; each one subscribes.
sessions_ended = Signal()


def end_other_sessions(user: User, *, keep: SessionBase | None = None) -> None:
    """Sign ``user`` out everywhere and end what was granted to them so far (the receivers
    of ``sessions_ended``), except in ``keep`` when that session is ``user``'s own (a session
    of someone else, an admin acting on this user, is never touched). The database decides
    between concurrent calls: the row is locked, so each one ends every session stamped
    before it."""
    with transaction.atomic():
        epoch = (
            User.objects.select_for_update().values_list("session_epoch", flat=True).get(pk=user.pk)
        ) + 1
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(session_epoch=epoch, sessions_ended_at=now)
        sessions_ended.send(sender=User, user=user, at=now)
    user.session_epoch, user.sessions_ended_at = epoch, now
    if keep is not None and str(keep.get(SESSION_KEY)) == str(user.pk):
        keep[EPOCH] = epoch
        # Django signs out a session whose password hash is no longer the user's: after a
        # password change, the kept one carries the new hash.
        keep[HASH_SESSION_KEY] = user.get_session_auth_hash()


def stamp_session(sender: object, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On every sign-in (``user_logged_in``, any door): the session joins the current epoch."""
    if isinstance(user, User):
        request.session[EPOCH] = user.session_epoch


def session_is_current(session: SessionBase, user: User) -> bool:
    # A session from before epochs existed holds none: it belongs to epoch 0.
    return bool(session.get(EPOCH, 0) == user.session_epoch)


class SessionEpochMiddleware:
    """After AuthenticationMiddleware: a session of an ended epoch is signed out here, before
    any view (portal, ceremony API, admin) sees its user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session:
            user = request.user
            if isinstance(user, User) and not session_is_current(request.session, user):
                logout(request)
        return self.get_response(request)
