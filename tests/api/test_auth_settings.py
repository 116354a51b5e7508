"""GET/PATCH /api/v1/auth-settings: the org policy as the contract's object, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from auth_methods.models import AuditEvent, AuthSettings
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import Api
from tests.support.db import assert_problem, snapshot

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth-settings"

CONTRACT_DEFAULTS: dict[str, Any] = {
    "passkey_registration_enabled": True,
    "passkey_login_enabled": True,
    "user_verification": "preferred",
    "attestation": "none",
    "require_trusted_attestation": False,
    "authenticator_attachment": "any",
    "resident_key": "preferred",
    "algorithms": [-8, -7, -257],
    "timeout_seconds": 60,
    "rp_id": None,  # null = the org's primary host
    "rp_name": "Acme Corp",  # the contract: a string, the org name by default
    "allowed_origins": [],
    "allowed_aaguids": [],
    "max_passkeys_per_user": 20,
    "allow_synced_passkeys": True,
    "trusted_attestation_roots": [],
    "token_ttl_seconds": 300,
    "mfa_required": False,
    "passwordless_only": False,
}

AAGUID = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"


def get_settings(api: Api) -> dict[str, Any]:
    response = api.client.get(URL)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def patch(api: Api, body: Any) -> Any:
    return api.client.patch(URL, body, format="json")


def stored_settings(org: Organisation) -> list[Any]:
    with with_org(org):
        return list(AuthSettings.objects.values_list("values", flat=True))


def audit_events(org: Organisation, outcome: str) -> list[AuditEvent]:
    with with_org(org):
        return list(
            AuditEvent.objects.filter(action="auth_settings.update", outcome=outcome).order_by("id")
        )


def test_it_answers_every_contract_field_with_its_default(api: Api) -> None:
    assert get_settings(api) == CONTRACT_DEFAULTS


def test_it_applies_a_valid_change_and_answers_the_whole_object(api: Api) -> None:
    response = patch(api, {"timeout_seconds": 120, "attestation": "direct"})
    assert response.status_code == 200, response.content
    expected = {**CONTRACT_DEFAULTS, "timeout_seconds": 120, "attestation": "direct"}
    assert response.json() == expected
    assert get_settings(api) == expected


def test_it_normalises_rp_id_and_origins_on_save(api: Api) -> None:
    response = patch(
        api,
        {"rp_id": "ACME.localhost", "allowed_origins": ["https://login.acme.test/"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["rp_id"] == "acme.localhost"
    assert response.json()["allowed_origins"] == ["https://login.acme.test"]
    assert get_settings(api)["rp_id"] == "acme.localhost"


def test_it_audits_a_change_with_only_the_changed_fields(api: Api, acme: Organisation) -> None:
    response = patch(api, {"timeout_seconds": 90, "mfa_required": False, "attestation": "direct"})
    assert response.status_code == 200, response.content
    events = audit_events(acme, AuditEvent.Outcome.SUCCESS)
    assert len(events) == 1
    event = events[0]
    assert event.data == {
        "before": {"attestation": "none", "timeout_seconds": 60},
        "after": {"attestation": "direct", "timeout_seconds": 90},
    }
    lookup = api.secret.split("_")[1]
    assert event.actor_label == f"api_key:{lookup}"
    assert event.created_at is not None


def test_it_audits_nothing_when_nothing_changed(api: Api, acme: Organisation) -> None:
    response = patch(api, {"timeout_seconds": 60})
    assert response.status_code == 200, response.content
    assert audit_events(acme, AuditEvent.Outcome.SUCCESS) == []


# Each bad value, sent after a valid change of another field: the whole PATCH is refused.
BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"no_such_field": 1}, "no_such_field"),
    ({"org_name": "Evil"}, "org_name"),  # a context field, not a policy field
    ({"passkey_login_enabled": "yes"}, "passkey_login_enabled"),
    ({"passkey_login_enabled": 0}, "passkey_login_enabled"),
    ({"timeout_seconds": "60"}, "timeout_seconds"),
    ({"timeout_seconds": True}, "timeout_seconds"),
    ({"timeout_seconds": 9}, "timeout_seconds"),
    ({"timeout_seconds": 601}, "timeout_seconds"),
    ({"max_passkeys_per_user": 0}, "max_passkeys_per_user"),
    ({"max_passkeys_per_user": 101}, "max_passkeys_per_user"),
    ({"token_ttl_seconds": 59}, "token_ttl_seconds"),
    ({"token_ttl_seconds": 3601}, "token_ttl_seconds"),
    ({"user_verification": "always"}, "user_verification"),
    ({"attestation": None}, "attestation"),
    ({"authenticator_attachment": "usb"}, "authenticator_attachment"),
    ({"algorithms": []}, "algorithms"),
    ({"algorithms": [-7, 12345]}, "algorithms"),
    ({"algorithms": [-7, -7]}, "algorithms"),
    ({"allowed_origins": "https://login.acme.test"}, "allowed_origins"),
    ({"allowed_origins": ["https://login.acme.test/path"]}, "allowed_origins"),
    ({"allowed_origins": ["https://login.acme.test?x=1"]}, "allowed_origins"),
    ({"allowed_origins": ["https://user@login.acme.test"]}, "allowed_origins"),
    ({"allowed_origins": ["http://login.acme.test"]}, "allowed_origins"),
    ({"allowed_origins": ["ftp://login.acme.test"]}, "allowed_origins"),
    ({"allowed_origins": ["login.acme.test"]}, "allowed_origins"),
    ({"rp_id": "example.com"}, "rp_id"),
    ({"rp_id": "other.localhost"}, "rp_id"),
    ({"rp_id": "localhost"}, "rp_id"),  # the platform's base domain
    ({"rp_id": "https://acme.localhost"}, "rp_id"),
    ({"rp_id": "acme.localhost:8000"}, "rp_id"),
    ({"rp_id": 5}, "rp_id"),
    ({"rp_name": ["Acme"]}, "rp_name"),
    ({"rp_name": "Ac\x00me"}, "rp_name"),  # PostgreSQL's jsonb cannot hold NUL
    ({"allowed_aaguids": ["\x00"]}, "allowed_aaguids"),
    ({"require_trusted_attestation": True}, "require_trusted_attestation"),
    ({"allowed_aaguids": [AAGUID]}, "allowed_aaguids"),
    ({"attestation": "direct", "allowed_aaguids": ["not-a-uuid"]}, "allowed_aaguids"),
    ({"trusted_attestation_roots": ["not a certificate"]}, "trusted_attestation_roots"),
]


@pytest.mark.parametrize(
    ("bad", "field"), BAD_VALUES, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_VALUES)]
)
def test_it_refuses_a_bad_value_and_applies_nothing(
    api: Api, acme: Organisation, bad: dict[str, Any], field: str
) -> None:
    before_api, before_rows = get_settings(api), snapshot(acme)
    # A valid change first: it must not be applied either (all or nothing).
    response = patch(api, {"mfa_required": True, "passkey_login_enabled": False, **bad})
    body = assert_problem(response, 400, "invalid_request")
    assert field in body["detail"], body
    assert get_settings(api) == before_api
    assert snapshot(acme) == before_rows
    assert audit_events(acme, AuditEvent.Outcome.SUCCESS) == []


def test_it_refuses_a_lone_surrogate(api: Api, acme: Organisation) -> None:
    # Valid JSON that no UTF-8 text (nor PostgreSQL) can hold.
    before = snapshot(acme)
    raw = b'{"rp_name": "Ac\\ud800me"}'
    response = api.client.patch(URL, raw, content_type="application/json")
    assert "rp_name" in assert_problem(response, 400, "invalid_request")["detail"]
    assert snapshot(acme) == before


def test_it_names_every_bad_field_in_sentences(api: Api, acme: Organisation) -> None:
    before = snapshot(acme)
    response = patch(
        api, {"timeout_seconds": 5, "mfa_required": True, "max_passkeys_per_user": 0, "x": 1}
    )
    detail = assert_problem(response, 400, "invalid_request")["detail"]
    assert detail == (
        "The timeout_seconds field must be a whole number from 10 to 600. "
        "The max_passkeys_per_user field must be a whole number from 1 to 100. "
        "There is no policy field named 'x'."
    )
    assert snapshot(acme) == before


def test_it_keeps_a_failure_in_the_audit_log(api: Api, acme: Organisation) -> None:
    assert_problem(patch(api, {"timeout_seconds": 5}), 400, "invalid_request")
    failures = audit_events(acme, AuditEvent.Outcome.FAILURE)
    assert [e.code for e in failures] == ["invalid_request"]


def test_it_refuses_require_trusted_attestation_after_attestation_is_lowered(api: Api) -> None:
    assert (
        patch(api, {"attestation": "direct", "require_trusted_attestation": True}).status_code
        == 200
    )
    before = get_settings(api)
    body = assert_problem(patch(api, {"attestation": "none"}), 400, "invalid_request")
    assert "require_trusted_attestation" in body["detail"]
    assert get_settings(api) == before


@pytest.mark.parametrize(
    "raw",
    [b'[{"mfa_required": true}]', b'"mfa_required"', b"5", b"null"],
    ids=["list", "string", "number", "null"],
)
def test_it_refuses_a_body_that_is_not_an_object(api: Api, acme: Organisation, raw: bytes) -> None:
    before_api, before_rows = get_settings(api), snapshot(acme)
    response = api.client.patch(URL, raw, content_type="application/json")
    assert_problem(response, 400, "invalid_request")
    assert get_settings(api) == before_api
    assert snapshot(acme) == before_rows


def test_it_refuses_malformed_json(api: Api, acme: Organisation) -> None:
    before = snapshot(acme)
    response = api.client.patch(URL, b'{"mfa_required": tru', content_type="application/json")
    assert_problem(response, 400, "invalid_request")
    assert snapshot(acme) == before


def test_it_forbids_a_key_without_the_admin_scope(
    api: Api, plain_api: Api, acme: Organisation
) -> None:
    before_api, before_rows = get_settings(api), snapshot(acme)
    assert_problem(plain_api.client.get(URL), 403, "forbidden")
    assert_problem(
        plain_api.client.patch(URL, {"mfa_required": True}, format="json"), 403, "forbidden"
    )
    assert get_settings(api) == before_api
    assert snapshot(acme) == before_rows


def test_it_refuses_a_call_without_a_key(api: Api, acme: Organisation) -> None:
    before = snapshot(acme)
    anonymous = APIClient(HTTP_HOST="acme.localhost")
    assert_problem(anonymous.get(URL), 401, "unauthenticated")
    assert_problem(
        anonymous.patch(URL, {"mfa_required": True}, format="json"), 401, "unauthenticated"
    )
    assert snapshot(acme) == before
    assert get_settings(api)["mfa_required"] is False


def test_it_refuses_a_key_of_another_org(api: Api, globex_api: Api, acme: Organisation) -> None:
    before = snapshot(acme)
    intruder = APIClient(HTTP_HOST="acme.localhost")
    intruder.credentials(HTTP_AUTHORIZATION=f"Bearer {globex_api.secret}")
    assert_problem(intruder.get(URL), 401, "unauthenticated")
    assert_problem(
        intruder.patch(URL, {"mfa_required": True}, format="json"), 401, "unauthenticated"
    )
    assert snapshot(acme) == before
    assert get_settings(api)["mfa_required"] is False


def test_a_change_on_one_org_leaves_the_other_alone(api: Api, globex_api: Api) -> None:
    assert patch(api, {"timeout_seconds": 120}).status_code == 200
    assert get_settings(globex_api)["timeout_seconds"] == 60


def test_the_change_shapes_the_next_registration_options(api: Api) -> None:
    response = patch(
        api, {"attestation": "direct", "timeout_seconds": 120, "user_verification": "required"}
    )
    assert response.status_code == 200, response.content
    options = api.post(
        "/webauthn/register/options", {"user": {"id": "u1", "name": "alice@acme.test"}}
    )
    assert options.status_code == 200, options.content
    public_key = options.json()["publicKey"]
    assert public_key["attestation"] == "direct"
    assert public_key["timeout"] == 120_000
    assert public_key["authenticatorSelection"]["userVerification"] == "required"


def test_disabling_registration_takes_effect_at_once(api: Api) -> None:
    assert patch(api, {"passkey_registration_enabled": False}).status_code == 200
    options = api.post(
        "/webauthn/register/options", {"user": {"id": "u1", "name": "alice@acme.test"}}
    )
    assert_problem(options, 403, "passkey_registration_disabled")


def test_only_values_that_differ_from_the_defaults_are_stored(api: Api, acme: Organisation) -> None:
    assert patch(api, {"timeout_seconds": 120}).status_code == 200
    assert patch(api, {"timeout_seconds": 60, "mfa_required": True}).status_code == 200
    assert stored_settings(acme) == [{"mfa_required": True}]
