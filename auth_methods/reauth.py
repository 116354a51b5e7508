"""Sensitive actions need a recent sign-in: the one rule, for every door.

A browser session that signed in (or re-confirmed) more than ten minutes ago, or a stolen
cookie, may read but not change what guards the organisation: its policy, its users, its API
keys, its OIDC clients, and passkeys (registering one included: otherwise a stale session
could register its own passkey, sign in with it, and so get a fresh sign-in time). Every
sensitive service calls :func:`require_recent_auth` itself, so no door can skip it. API keys
are their own credential and the CLI runs on the server: neither is ever asked.
"""

from __future__ import annotations

import time

from auth_methods import errors
from auth_methods.audit import Actor, Via

RECENT_AUTH_SECONDS = 600


def is_recent(actor: Actor, *, now: float | None = None, recovery_allows: bool = False) -> bool:
    """False for a session (or an anonymous browser) without a sign-in in the window.

    A recovery link proves only that its holder reads the user's mail: the session it opens
    never counts as a sign-in, and counts as recent only for the changes that restore a lost
    passkey (``recovery_allows``): enrolling a new one and removing the old ones.
    """
    if actor.via not in (Via.SESSION, Via.ANONYMOUS):
        return True
    at = time.time() if now is None else now
    if recovery_allows and actor.recovered_at is not None:
        if at - actor.recovered_at <= RECENT_AUTH_SECONDS:
            return True
    if actor.authenticated_at is None:
        return False
    return at - actor.authenticated_at <= RECENT_AUTH_SECONDS


def require_recent_auth(actor: Actor, *, recovery_allows: bool = False) -> None:
    """Raise ``reauthentication_required`` unless ``actor`` may make a sensitive change now;
    ``recovery_allows`` only for the changes a recovery-link session exists for."""
    if not is_recent(actor, recovery_allows=recovery_allows):
        raise errors.REAUTHENTICATION_REQUIRED.with_detail(
            "This change needs a sign-in within the last 10 minutes: confirm who you are "
            "again, then retry."
        )
