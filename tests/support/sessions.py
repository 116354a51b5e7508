"""Browser sessions for tests: signed in now (fresh for step-up) or long ago (stale)."""

from __future__ import annotations

import time

from django.test import Client

from auth_methods.models import User
from auth_methods.reauth import RECENT_AUTH_SECONDS
from auth_methods.sessions import AUTH_AT


def set_signed_in_at(client: Client, seconds_ago: float) -> Client:
    session = client.session
    session[AUTH_AT] = int(time.time() - seconds_ago)
    session.save()
    return client


def fresh_login(client: Client, user: User) -> Client:
    """``force_login`` plus the sign-in time a real sign-in writes."""
    client.force_login(user)
    return set_signed_in_at(client, 0)


def make_stale(client: Client) -> Client:
    """The same session, as if its sign-in were just over ten minutes old."""
    return set_signed_in_at(client, RECENT_AUTH_SECONDS + 1)
