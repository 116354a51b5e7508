"""An organisation with something to lose behind every sensitive door, and its state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from auth_methods.api_keys import api_key_create
from auth_methods.audit import CLI
from auth_methods.encoding import b64url_encode
from auth_methods.models import (
    ApiKey,
    AuditEvent,
    AuthSettings,
    Challenge,
    OutboxMessage,
    Passkey,
    RecoveryCodeSet,
    RecoveryLink,
    TotpDevice,
    User,
)
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import Api, make_api
from tests.portal.conftest import make_user, signed_in


@dataclass
class World:
    org: Organisation
    api: Api
    admin: User
    browser: Client  # the admin's browser, freshly signed in with the password
    my_passkey: Passkey  # the admin's own
    my_credential: str  # its id, base64url
    key: ApiKey  # a live key someone might revoke


@pytest.fixture
def world(acme: Organisation) -> World:
    admin = make_user(acme, "admin@acme.test", "admin")
    api = make_api(acme, ["admin"])
    assert api.register("bob", "bob@acme.test").status_code == 201
    assert api.register(admin.external_id, admin.email).status_code == 201
    with with_org(acme):
        mine = Passkey.objects.get(user=admin)
        # Flagged, so that clearing the flag is a change too.
        Passkey.objects.filter(pk=mine.pk).update(flagged=True)
        key = api_key_create(actor=CLI, name="Billing backend", scopes=["admin"]).key
    return World(
        org=acme,
        api=api,
        admin=admin,
        browser=signed_in(acme, admin),
        my_passkey=mine,
        my_credential=b64url_encode(bytes(mine.credential_id)),
        key=key,
    )


def state(org: Organisation) -> dict[str, Any]:
    """Everything a sensitive action could write, audit successes included (an audited
    failure is allowed: the contract keeps audit events of failed requests)."""
    with with_org(org):
        return {
            "users": sorted(
                User.objects.values_list(
                    "email",
                    "external_id",
                    "is_active",
                    "role",
                    "display_name",
                    "passkey_enrolment_required",
                    "password",
                )
            ),
            "passkeys": sorted(
                (bytes(c), label, flagged)
                for c, label, flagged in Passkey.objects.values_list(
                    "credential_id", "label", "flagged"
                )
            ),
            "settings": list(AuthSettings.objects.values_list("values", flat=True)),
            "keys": sorted(ApiKey.objects.values_list("lookup", "revoked_at")),
            "totp": sorted(TotpDevice.objects.values_list("id", "confirmed_at")),
            "codes": sorted(RecoveryCodeSet.objects.values_list("id", flat=True)),
            "links": sorted(RecoveryLink.objects.values_list("id", flat=True)),
            "challenges": Challenge.objects.count(),
            "outbox": OutboxMessage.objects.count(),
            "done": AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count(),
        }
