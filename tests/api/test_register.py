"""POST /webauthn/register: every rule enforced, every failure with its code and no write."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from auth_methods.models import AuditEvent, Challenge, Passkey, User
from tenants.context import with_org
from tests.api.conftest import Api
from tests.support.authenticator import SoftAuthenticator, b64url
from tests.support.db import assert_problem, last_audit, snapshot
from tests.support.sessions import fresh_login

pytestmark = pytest.mark.django_db

GOOGLE_PM = bytes.fromhex("ea9b8d664d011d213ce4b6b48cb575d4")
OTHER_AAGUID = bytes.fromhex("fbfc3007154e4ecc8c0b6e020557d7bd")


def options_for(api: Api, user_id: str = "u1") -> dict[str, Any]:
    response = api.post(
        "/webauthn/register/options", {"user": {"id": user_id, "name": f"{user_id}@acme.test"}}
    )
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def finish_fails(api: Api, credential: Any, status: int, code: str) -> dict[str, Any]:
    """The finish call fails with ``code`` and changes nothing but the audit log."""
    before = snapshot(api.org)
    response = api.post("/webauthn/register", {"credential": credential, "label": "x"})
    body = assert_problem(response, status, code)
    assert snapshot(api.org) == before
    event = last_audit(api.org)
    assert event is not None and event.outcome == AuditEvent.Outcome.FAILURE and event.code == code
    return body


def test_it_registers_a_passkey_and_answers_the_contract_shape(api: Api) -> None:
    api.authenticator = SoftAuthenticator(aaguid=GOOGLE_PM, backup_eligible=True, backed_up=True)
    response = api.register()
    assert response.status_code == 201, response.json()
    passkey = response.json()["passkey"]
    assert set(passkey) == {
        "id",
        "label",
        "aaguid",
        "authenticator_name",
        "transports",
        "attachment",
        "backup_eligible",
        "backed_up",
        "user_verified",
        "sign_count",
        "created_at",
        "last_used_at",
        "flagged",
    }
    assert passkey["authenticator_name"] == "Google Password Manager"
    assert passkey["aaguid"] == "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
    assert passkey["transports"] == ["internal", "hybrid"]
    assert passkey["attachment"] == "platform"
    assert passkey["backup_eligible"] is True and passkey["backed_up"] is True
    assert passkey["user_verified"] is True and passkey["flagged"] is False
    assert passkey["last_used_at"] is None and passkey["label"] == "Key"
    with with_org(api.org):
        stored = Passkey.objects.get()
        assert b64url(bytes(stored.credential_id)) == passkey["id"]
        assert stored.user.external_id == "u1" and not stored.aaguid_attested
        assert AuditEvent.objects.filter(action="passkey.register", outcome="success").exists()


@pytest.mark.parametrize("alg", [-7, -8, -257])
def test_it_accepts_each_default_algorithm(api: Api, alg: int) -> None:
    api.authenticator = SoftAuthenticator(alg=alg)
    assert api.register().status_code == 201


FORGED: list[tuple[str, dict[str, Any], dict[str, Any], int, str]] = [
    ("unknown challenge", {}, {"challenge": os.urandom(32)}, 400, "challenge_invalid"),
    ("get sent to create", {}, {"type": "webauthn.get"}, 400, "ceremony_type_mismatch"),
    ("other rp id", {}, {"rp_id": "evil.example"}, 400, "rp_id_mismatch"),
    ("no user presence", {}, {"user_present": False}, 400, "user_presence_required"),
    (
        "uv required, not set",
        {"user_verification": "required"},
        {"user_verified": False},
        400,
        "user_verification_required",
    ),
    ("algorithm not allowed", {"algorithms": [-7]}, {"alg": -257}, 400, "algorithm_not_allowed"),
    (
        "attestation none when required",
        {"attestation": "direct", "require_trusted_attestation": True},
        {},
        400,
        "attestation_required",
    ),
    (
        "self attestation when trust required",
        {"attestation": "direct", "require_trusted_attestation": True},
        {"attestation_fmt": "self"},
        400,
        "attestation_untrusted",
    ),
    (
        "chain to no configured root",
        {"attestation": "direct", "require_trusted_attestation": True},
        {"attestation_fmt": "packed"},
        400,
        "attestation_untrusted",
    ),
    (
        "allow-list with none attestation",
        {
            "attestation": "direct",
            "allowed_aaguids": [str(__import__("uuid").UUID(bytes=GOOGLE_PM))],
        },
        {},
        400,
        "attestation_required",
    ),
    (
        "attachment contradicts policy",
        {"authenticator_attachment": "cross-platform"},
        {"attachment": "platform"},
        403,
        "authenticator_not_allowed",
    ),
    (
        "synced passkey refused",
        {"allow_synced_passkeys": False},
        {"backup_eligible": True},
        403,
        "authenticator_not_allowed",
    ),
    ("malformed clientDataJSON", {}, {"raw_client_data": b"not json"}, 400, "invalid_request"),
]


@pytest.mark.parametrize(
    ("case", "policy", "forge", "status", "code"), FORGED, ids=[f[0] for f in FORGED]
)
def test_it_refuses_a_forged_response(
    api: Api, case: str, policy: dict[str, Any], forge: dict[str, Any], status: int, code: str
) -> None:
    if policy:
        api.set_policy(**policy)
    options = options_for(api)
    credential = api.authenticator.create(options, origin=api.origin, **forge)
    finish_fails(api, credential, status, code)


def test_it_refuses_a_foreign_origin(api: Api) -> None:
    credential = api.authenticator.create(options_for(api), origin="https://evil.example")
    finish_fails(api, credential, 400, "origin_mismatch")


def test_an_extra_allowed_origin_is_accepted(api: Api) -> None:
    api.set_policy(allowed_origins=["https://login.acme.test"])
    credential = api.authenticator.create(options_for(api), origin="https://login.acme.test")
    assert api.post("/webauthn/register", {"credential": credential}).status_code == 201


def test_a_challenge_is_used_once(api: Api) -> None:
    credential = api.authenticator.create(options_for(api), origin=api.origin)
    assert api.post("/webauthn/register", {"credential": credential}).status_code == 201
    with with_org(api.org):
        Passkey.objects.all().delete()
    finish_fails(api, credential, 400, "challenge_invalid")


def test_a_failed_finish_still_uses_the_challenge_up(api: Api) -> None:
    options = options_for(api)
    bad = api.authenticator.create(options, origin=api.origin, user_present=False)
    finish_fails(api, bad, 400, "user_presence_required")
    good = api.authenticator.create(options, origin=api.origin)
    finish_fails(api, good, 400, "challenge_invalid")


def test_it_refuses_an_expired_challenge(api: Api) -> None:
    options = options_for(api)
    with with_org(api.org):
        issued = timezone.now() - timedelta(seconds=75)
        Challenge.objects.update(created_at=issued, expires_at=issued + timedelta(seconds=60))
    credential = api.authenticator.create(options, origin=api.origin)
    body = finish_fails(api, credential, 400, "challenge_expired")
    assert "issued 75 s ago; this org allows 60 s" in body["detail"]


def test_an_authentication_challenge_cannot_finish_a_registration(api: Api) -> None:
    assert api.register().status_code == 201
    auth_options = api.post("/webauthn/authenticate/options", {"user": {"id": "u1"}}).json()
    reg_options = options_for(api)
    reg_options["publicKey"]["challenge"] = auth_options["publicKey"]["challenge"]
    credential = api.authenticator.create(reg_options, origin=api.origin)
    finish_fails(api, credential, 400, "challenge_invalid")


def test_it_refuses_a_credential_already_registered(api: Api) -> None:
    cred_id = os.urandom(16)
    assert api.register(credential_id=cred_id).status_code == 201
    credential = api.authenticator.create(
        options_for(api, "u2"), origin=api.origin, credential_id=cred_id
    )
    finish_fails(api, credential, 409, "credential_already_registered")


def test_the_limit_is_checked_again_at_register(api: Api) -> None:
    api.set_policy(max_passkeys_per_user=1)
    first, second = options_for(api), options_for(api)
    assert (
        api.post(
            "/webauthn/register", {"credential": api.authenticator.create(first, origin=api.origin)}
        ).status_code
        == 201
    )
    credential = api.authenticator.create(second, origin=api.origin)
    finish_fails(api, credential, 409, "passkey_limit_reached")


def test_it_refuses_registration_disabled_meanwhile(api: Api) -> None:
    options = options_for(api)
    api.set_policy(passkey_registration_enabled=False)
    credential = api.authenticator.create(options, origin=api.origin)
    finish_fails(api, credential, 403, "passkey_registration_disabled")


def test_it_refuses_a_user_disabled_meanwhile(api: Api) -> None:
    options = options_for(api)
    with with_org(api.org):
        User.objects.filter(external_id="u1").update(is_active=False)
    credential = api.authenticator.create(options, origin=api.origin)
    finish_fails(api, credential, 403, "user_inactive")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": "a string"},
        {"credential": {}},
        {"credential": {"id": "!!", "rawId": "!!", "type": "public-key", "response": {}}},
        {
            "credential": {
                "id": "AA",
                "rawId": "AA",
                "type": "public-key",
                "response": {"clientDataJSON": "AA", "attestationObject": "AA"},
            }
        },
        [1, 2, 3],
    ],
)
def test_it_answers_malformed_bodies_with_invalid_request(api: Api, body: Any) -> None:
    finish = api.post("/webauthn/register", body)
    assert_problem(finish, 400, "invalid_request")


def test_an_attested_aaguid_on_the_allow_list_is_accepted(api: Api) -> None:
    api.authenticator = SoftAuthenticator(aaguid=GOOGLE_PM, attestation="packed")
    api.set_policy(
        attestation="direct",
        allowed_aaguids=["ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"],
        trusted_attestation_roots=[api.authenticator.ca.root_pem],
    )
    response = api.register()
    assert response.status_code == 201, response.json()
    with with_org(api.org):
        assert Passkey.objects.get().aaguid_attested is True


def test_an_attested_aaguid_off_the_allow_list_is_refused(api: Api) -> None:
    api.authenticator = SoftAuthenticator(aaguid=OTHER_AAGUID, attestation="packed")
    api.set_policy(
        attestation="direct",
        allowed_aaguids=["ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"],
        trusted_attestation_roots=[api.authenticator.ca.root_pem],
    )
    credential = api.authenticator.create(options_for(api), origin=api.origin)
    finish_fails(api, credential, 403, "authenticator_not_allowed")


def test_a_chain_to_another_root_is_untrusted(api: Api) -> None:
    other_root = SoftAuthenticator(aaguid=OTHER_AAGUID).ca.root_pem
    api.authenticator = SoftAuthenticator(aaguid=GOOGLE_PM, attestation="packed")
    api.set_policy(
        attestation="direct",
        require_trusted_attestation=True,
        trusted_attestation_roots=[other_root],
    )
    credential = api.authenticator.create(options_for(api), origin=api.origin)
    finish_fails(api, credential, 400, "attestation_untrusted")


def test_a_missing_attachment_is_accepted_under_an_attachment_policy(api: Api) -> None:
    api.set_policy(authenticator_attachment="platform")
    api.authenticator = SoftAuthenticator(attachment=None)
    assert api.register().status_code == 201


def test_a_browser_cannot_finish_another_users_ceremony(api: Api) -> None:
    options = options_for(api, "victim")
    credential = api.authenticator.create(options, origin=api.origin)
    with with_org(api.org):
        from auth_methods.users import user_create

        attacker = user_create(email="mallory@acme.test", password="a-Long-passphrase-1")
    from rest_framework.test import APIClient

    browser = APIClient(HTTP_HOST="acme.localhost")
    with with_org(api.org):
        fresh_login(browser, attacker)
    before = snapshot(api.org)
    response = browser.post("/webauthn/register", {"credential": credential}, format="json")
    assert_problem(response, 400, "challenge_invalid")
    assert snapshot(api.org) == before


def test_a_certificate_for_another_aaguid_does_not_prove_this_one(api: Api) -> None:
    api.authenticator = SoftAuthenticator(aaguid=GOOGLE_PM, attestation="packed")
    other = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
    api.set_policy(
        attestation="direct",
        allowed_aaguids=[other],
        trusted_attestation_roots=[api.authenticator.ca.root_pem],
    )
    # The certificate names Google Password Manager; authData claims the listed AAGUID.
    credential = api.authenticator.create(options_for(api), origin=api.origin, aaguid=OTHER_AAGUID)
    finish_fails(api, credential, 400, "attestation_untrusted")


def test_rp_id_may_be_a_registrable_suffix_of_a_custom_primary_host(api: Api) -> None:
    from tenants.models import Domain

    Domain.objects.filter(tenant=api.org).update(is_primary=False)
    Domain.objects.create(domain="login.acme-corp.test", tenant=api.org, is_primary=True)
    api.set_policy(rp_id="ACME-corp.test", allowed_origins=["https://login.acme-corp.test"])
    options = options_for(api)
    assert options["publicKey"]["rp"]["id"] == "acme-corp.test"
    credential = api.authenticator.create(options, origin="https://login.acme-corp.test")
    assert api.post("/webauthn/register", {"credential": credential}).status_code == 201
    # An authenticator scoped to the old host's RP ID no longer matches.
    wrong = api.authenticator.create(
        options_for(api, "u2"), origin="https://login.acme-corp.test", rp_id="acme.localhost"
    )
    finish_fails(api, wrong, 400, "rp_id_mismatch")
