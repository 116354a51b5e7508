"""API key changes made by a person (portal, CLI): the key services plus their audit trail."""

from __future__ import annotations

from django.db import transaction

from api.models import ApiKey
from api.services import NewApiKey, api_key_create, api_key_revoke
from auth_methods.audit import Actor, audit_record


def api_key_create_audited(*, actor: Actor, name: str, scopes: list[str]) -> NewApiKey:
    """Create a key and record "api_key.create" in one transaction; the secret is returned
    once to the caller and never reaches the audit log."""
    with transaction.atomic():
        made = api_key_create(name=name, scopes=scopes, created_by=actor.user)
        audit_record(
            actor=actor,
            action="api_key.create",
            data={"key": made.key.lookup, "name": made.key.name, "scopes": made.key.scopes},
        )
    return made


def api_key_revoke_audited(*, actor: Actor, key: ApiKey) -> bool:
    """Revoke ``key`` and record "api_key.revoke"; False (and no event) if it already was."""
    with transaction.atomic():
        # The row lock makes two simultaneous revokes write one event, not two.
        locked = ApiKey.objects.select_for_update().filter(pk=key.pk).first()
        if locked is None or locked.revoked_at is not None:
            return False
        api_key_revoke(locked)
        audit_record(
            actor=actor,
            action="api_key.revoke",
            data={"key": locked.lookup, "name": locked.name},
        )
    key.revoked_at = locked.revoked_at
    return True
