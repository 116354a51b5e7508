"""Consent to third-party clients: asked once per client and scope set, remembered."""

from __future__ import annotations

from auth_methods.audit import Actor, audit_record
from auth_methods.models import User
from oidc.models import Client, Consent


def needed(client: Client, user: User, scope: str) -> bool:
    if not client.third_party:
        return False  # the org's own apps: the admin already decided
    given = Consent.objects.filter(client=client, user=user).values_list("scopes", flat=True)
    scopes = next(iter(given), None)
    return scopes is None or not set(scope.split()) <= set(scopes)


def grant(*, client: Client, user: User, scope: str) -> None:
    Consent.objects.update_or_create(
        client=client, user=user, defaults={"scopes": sorted(set(scope.split()))}
    )
    audit_record(
        actor=Actor(user=user, label=user.email),
        action="oidc.consent",
        subject=user,
        data={"client_id": client.client_id, "scopes": sorted(set(scope.split()))},
    )
