"""POST /webauthn/authenticate: sign-in rules, each failure with its code and no write."""

from __future__ import annotations

from typing import Any

import pytest

from auth_methods.models import AuditEvent, Challenge, Passkey, User
from tenants.context import with_org
from tests.api.conftest import Api
from tests.support.authenticator import DROP, SoftAuthenticator
from tests.support.db import assert_problem, last_audit, snapshot

pytestmark = pytest.mark.django_db


def sign_in_fails(api: Api, credential: Any, status: int, code: str) -> dict[str, Any]:
    before = snapshot(api.org)
    response = api.post("/webauthn/authenticate", {"credential": credential})
    body = assert_problem(response, status, code)
    assert snapshot(api.org) == before
    event = last_audit(api.org)
    assert event is not None and event.outcome == "failure" and event.code == code
    return body


def options(api: Api, user_id: str | None = "u1") -> dict[str, Any]:
    response = api.post(
        "/webauthn/authenticate/options", {"user": {"id": user_id}} if user_id else {}
    )
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def enrolled(api: Api) -> Api:
    assert api.register().status_code == 201
    return api


def test_a_named_user_signs_in(enrolled: Api) -> None:
    response = enrolled.sign_in("u1")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"] == {"id": "u1", "name": "alice@acme.test", "display_name": "Alice"}
    assert body["passkey"]["sign_count"] == 1 and body["passkey"]["last_used_at"] is not None
    with with_org(enrolled.org):
        assert (
            AuditEvent.objects.filter(action="passkey.authenticate", outcome="success").count() == 1
        )


def test_a_usernameless_sign_in_finds_the_user_by_credential(enrolled: Api) -> None:
    response = enrolled.sign_in(None)
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["id"] == "u1"


def test_options_for_a_named_user_list_their_passkeys(enrolled: Api) -> None:
    public_key = options(enrolled)["publicKey"]
    assert public_key["rpId"] == "acme.localhost"
    assert [c["transports"] for c in public_key["allowCredentials"]] == [["internal", "hybrid"]]
    assert public_key["userVerification"] == "preferred" and public_key["timeout"] == 60000


def test_options_without_a_user_allow_any_discoverable_credential(enrolled: Api) -> None:
    public_key = options(enrolled, None)["publicKey"]
    assert public_key.get("allowCredentials", []) == []


def test_options_for_an_unknown_user_are_not_found(enrolled: Api) -> None:
    with with_org(enrolled.org):
        challenges = Challenge.objects.count()
    assert_problem(
        enrolled.post("/webauthn/authenticate/options", {"user": {"id": "nobody"}}),
        404,
        "not_found",
    )
    with with_org(enrolled.org):
        assert Challenge.objects.count() == challenges  # no challenge stored for nobody


def test_options_for_a_user_without_passkeys_allow_none(enrolled: Api) -> None:
    with with_org(enrolled.org):
        User.objects.create_user("nokeys@acme.test", external_id="nokeys")
    public_key = options(enrolled, "nokeys")["publicKey"]
    assert public_key.get("allowCredentials", []) == []


def test_options_are_refused_when_passkey_sign_in_is_off(enrolled: Api) -> None:
    enrolled.set_policy(passkey_login_enabled=False)
    assert_problem(
        enrolled.post("/webauthn/authenticate/options", {}), 403, "passkey_login_disabled"
    )


def test_a_finish_is_refused_when_passkey_sign_in_was_turned_off(enrolled: Api) -> None:
    opts = options(enrolled)
    enrolled.set_policy(passkey_login_enabled=False)
    sign_in_fails(
        enrolled,
        enrolled.authenticator.get(opts, origin=enrolled.origin),
        403,
        "passkey_login_disabled",
    )


FORGED: list[tuple[str, dict[str, Any], dict[str, Any], int, str]] = [
    ("create sent to get", {}, {"type": "webauthn.create"}, 400, "ceremony_type_mismatch"),
    ("other rp id", {}, {"rp_id": "evil.example"}, 400, "rp_id_mismatch"),
    ("no presence", {}, {"user_present": False}, 400, "user_presence_required"),
    (
        "uv required",
        {"user_verification": "required"},
        {"user_verified": False},
        400,
        "user_verification_required",
    ),
    ("bad signature", {}, {"bad_signature": True}, 400, "signature_invalid"),
    ("swapped user handle", {}, {"user_handle": b"\x00" * 32}, 400, "user_handle_mismatch"),
    ("unknown challenge", {}, {"challenge": b"\x01" * 32}, 400, "challenge_invalid"),
    ("garbage client data", {}, {"raw_client_data": b"{"}, 400, "invalid_request"),
]


@pytest.mark.parametrize(
    ("case", "policy", "forge", "status", "code"), FORGED, ids=[f[0] for f in FORGED]
)
def test_it_refuses_a_forged_assertion(
    enrolled: Api, case: str, policy: dict[str, Any], forge: dict[str, Any], status: int, code: str
) -> None:
    if policy:
        enrolled.set_policy(**policy)
    credential = enrolled.authenticator.get(options(enrolled), origin=enrolled.origin, **forge)
    sign_in_fails(enrolled, credential, status, code)


def test_it_refuses_a_foreign_origin(enrolled: Api) -> None:
    credential = enrolled.authenticator.get(options(enrolled), origin="https://evil.example")
    sign_in_fails(enrolled, credential, 400, "origin_mismatch")


def test_usernameless_sign_in_needs_a_user_handle(enrolled: Api) -> None:
    credential = enrolled.authenticator.get(
        options(enrolled, None), origin=enrolled.origin, user_handle=DROP
    )
    sign_in_fails(enrolled, credential, 400, "user_handle_mismatch")


def test_a_named_sign_in_may_omit_the_user_handle(enrolled: Api) -> None:
    credential = enrolled.authenticator.get(
        options(enrolled), origin=enrolled.origin, user_handle=DROP
    )
    assert enrolled.post("/webauthn/authenticate", {"credential": credential}).status_code == 200


def test_a_credential_outside_the_named_users_allow_list_is_unknown(enrolled: Api) -> None:
    other = SoftAuthenticator()
    assert enrolled.register("u2", "bob@acme.test", authenticator=other).status_code == 201
    credential = other.get(
        options(enrolled, "u1"), origin=enrolled.origin, credential_id=next(iter(other.credentials))
    )
    sign_in_fails(enrolled, credential, 400, "credential_unknown")


def test_a_deleted_credential_is_unknown(enrolled: Api) -> None:
    opts = options(enrolled)
    with with_org(enrolled.org):
        Passkey.objects.all().delete()
    sign_in_fails(
        enrolled,
        enrolled.authenticator.get(opts, origin=enrolled.origin),
        400,
        "credential_unknown",
    )


def test_another_orgs_credential_is_unknown_here(enrolled: Api, globex_api: Api) -> None:
    # The same authenticator holds an acme credential; it is offered to globex's ceremony.
    opts = options(globex_api, None)
    cred_id = next(iter(enrolled.authenticator.credentials))
    credential = enrolled.authenticator.get(opts, origin=globex_api.origin, credential_id=cred_id)
    sign_in_fails(globex_api, credential, 400, "credential_unknown")


def test_a_disabled_user_cannot_sign_in(enrolled: Api) -> None:
    opts = options(enrolled)
    with with_org(enrolled.org):
        User.objects.filter(external_id="u1").update(is_active=False)
    sign_in_fails(
        enrolled, enrolled.authenticator.get(opts, origin=enrolled.origin), 403, "user_inactive"
    )


def test_a_counter_regression_flags_the_credential_and_refuses_it_afterwards(enrolled: Api) -> None:
    assert enrolled.sign_in().status_code == 200  # counter now 1 on the server
    credential = enrolled.authenticator.get(options(enrolled), origin=enrolled.origin, sign_count=1)
    response = enrolled.post("/webauthn/authenticate", {"credential": credential})
    assert_problem(response, 400, "sign_count_regressed")
    with with_org(enrolled.org):
        assert Passkey.objects.get().flagged is True  # the one write an error keeps
    sign_in_fails(
        enrolled,
        enrolled.authenticator.get(options(enrolled), origin=enrolled.origin),
        403,
        "credential_flagged",
    )


def test_a_forged_counter_with_a_bad_signature_flags_nothing(enrolled: Api) -> None:
    credential = enrolled.authenticator.get(
        options(enrolled), origin=enrolled.origin, sign_count=0, bad_signature=True
    )
    sign_in_fails(enrolled, credential, 400, "signature_invalid")


def test_a_synced_passkey_that_always_reports_zero_is_fine(api: Api) -> None:
    api.authenticator = SoftAuthenticator(sign_count_step=0, backup_eligible=True, backed_up=True)
    assert api.register().status_code == 201
    assert api.sign_in().status_code == 200
    assert api.sign_in().status_code == 200


def test_synced_passkeys_are_refused_at_sign_in_once_the_policy_forbids_them(api: Api) -> None:
    api.authenticator = SoftAuthenticator(backup_eligible=True)
    assert api.register().status_code == 201
    api.set_policy(allow_synced_passkeys=False)
    sign_in_fails(
        api,
        api.authenticator.get(options(api), origin=api.origin),
        403,
        "authenticator_not_allowed",
    )


def test_an_unattested_passkey_is_refused_once_an_allow_list_is_set(enrolled: Api) -> None:
    enrolled.set_policy(
        attestation="direct", allowed_aaguids=["ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"]
    )
    credential = enrolled.authenticator.get(options(enrolled), origin=enrolled.origin)
    sign_in_fails(enrolled, credential, 403, "authenticator_not_allowed")


def test_a_challenge_signs_in_once(enrolled: Api) -> None:
    credential = enrolled.authenticator.get(options(enrolled), origin=enrolled.origin)
    assert enrolled.post("/webauthn/authenticate", {"credential": credential}).status_code == 200
    sign_in_fails(enrolled, credential, 400, "challenge_invalid")


def test_the_token_says_mfa_only_when_the_user_was_verified(enrolled: Api) -> None:
    import jwt

    credential = enrolled.authenticator.get(
        options(enrolled), origin=enrolled.origin, user_verified=False
    )
    response = enrolled.post("/webauthn/authenticate", {"credential": credential})
    assert response.status_code == 200 and response.json()["user_verified"] is False
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["amr"] == ["pop", "user"]
    assert (
        claims["iss"] == "http://acme.localhost"
        and claims["aud"] == "acme"
        and claims["sub"] == "u1"
    )


def test_a_passkey_whose_algorithm_was_dropped_is_refused(enrolled: Api) -> None:
    enrolled.set_policy(algorithms=[-8])  # the soft authenticator registered with ES256 (-7)
    credential = enrolled.authenticator.get(options(enrolled), origin=enrolled.origin)
    sign_in_fails(enrolled, credential, 400, "algorithm_not_allowed")


def test_junk_inside_base64url_is_refused_not_skipped(enrolled: Api) -> None:
    credential = enrolled.authenticator.get(options(enrolled), origin=enrolled.origin)
    credential["response"]["signature"] = "!" + credential["response"]["signature"]
    sign_in_fails(enrolled, credential, 400, "invalid_request")
