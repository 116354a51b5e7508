"""Ending a user's other sessions and sign-in tokens, after anything that changes who can
get into the account (a recovery, removed passkeys, an admin's reset or wipe, disabling).

Each user has a session epoch in the database. A browser session records the epoch it was
signed in under; ``SessionEpochMiddleware`` signs out any session whose epoch is no longer
the user's. ``end_other_sessions`` bumps the epoch (and notes when, for tokens), keeping one
session alive when asked: the one of the person who made the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from auth_methods.models import User

EPOCH = "passgate_session_epoch"


def end_other_sessions(user: User, *, keep: SessionBase | None = None) -> None:
    """Sign ``user`` out everywhere and refuse the sign-in tokens issued to them so far,
    except in ``keep`` when that session is ``user``'s own (a session of someone else, an
    admin acting on this user, is never touched). The database decides between concurrent
    calls: the row is locked, so each one ends every session stamped before it."""
    with transaction.atomic():
        epoch = (
            User.objects.select_for_update().values_list("session_epoch", flat=True).get(pk=user.pk)
        ) + 1
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(session_epoch=epoch, sessions_ended_at=now)
    user.session_epoch, user.sessions_ended_at = epoch, now
    if keep is not None and str(keep.get(SESSION_KEY)) == str(user.pk):
        keep[EPOCH] = epoch


def stamp_session(sender: object, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On every sign-in (``user_logged_in``, any door): the session joins the current epoch."""
    if isinstance(user, User):
        request.session[EPOCH] = user.session_epoch


def session_is_current(session: SessionBase, user: User) -> bool:
    # A session from before epochs existed holds none: it belongs to epoch 0.
    return bool(session.get(EPOCH, 0) == user.session_epoch)


def token_revoked(user: User, issued_at: int) -> bool:
    """Whether a sign-in token issued at ``issued_at`` (JWT ``iat``, whole seconds) predates
    the end of ``user``'s sessions. A token from the very second of the end is refused too:
    ``iat`` cannot tell before from after, and refusing is the safe side."""
    ended = user.sessions_ended_at
    return ended is not None and issued_at <= int(ended.timestamp())


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
