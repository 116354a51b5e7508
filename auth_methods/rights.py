"""Who may act on whose things, asked by the services whatever the door."""

from __future__ import annotations

from auth_methods import errors
from auth_methods.audit import Actor, Via
from auth_methods.models import Passkey


def is_admin(actor: Actor) -> bool:
    """An ``admin``-scope API key, an active org admin's session, or the server itself."""
    if actor.via is Via.API_KEY:
        return "admin" in actor.scopes
    if actor.via in (Via.CLI, Via.SYSTEM):
        return True
    return actor.user is not None and actor.user.is_org_admin and actor.user.is_active


def may_see_passkey(actor: Actor, passkey: Passkey) -> bool:
    """An API key (or the server) sees every passkey of its organisation; a person their own.
    Anything else is answered as not found: never a hint that it exists."""
    if actor.via in (Via.API_KEY, Via.CLI, Via.SYSTEM):
        return True
    return actor.user is not None and actor.user.pk == passkey.user_id


def require_may_clear_flag(actor: Actor, passkey: Passkey) -> None:
    """A flagged passkey (possible clone) is cleared by its owner or an admin only."""
    owner = actor.user is not None and actor.user.pk == passkey.user_id
    if not (owner or is_admin(actor)):
        raise errors.FORBIDDEN.with_detail(
            "Only the passkey's owner or an admin may clear its flag."
        )
