"""POST /webauthn/register/options: the org policy, turned into creation options."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from auth_methods.models import User
from auth_methods.users import user_create
from tenants.context import with_org
from tests.api.conftest import Api
from tests.support.authenticator import b64url
from tests.support.db import assert_problem, snapshot
from tests.support.sessions import fresh_login

pytestmark = pytest.mark.django_db

BODY = {"user": {"id": "u1", "name": "alice@acme.test", "display_name": "Alice"}}


def public_key(api: Api, body: Any = BODY) -> dict[str, Any]:
    response = api.post("/webauthn/register/options", body)
    assert response.status_code == 200, response.json()
    pk: dict[str, Any] = response.json()["publicKey"]
    return pk


def test_defaults_follow_the_contract(api: Api) -> None:
    pk = public_key(api)
    assert pk["rp"] == {"id": "acme.localhost", "name": "Acme Corp"}
    assert pk["user"]["name"] == "alice@acme.test" and pk["user"]["displayName"] == "Alice"
    assert [p["alg"] for p in pk["pubKeyCredParams"]] == [-8, -7, -257]
    assert pk["attestation"] == "none" and pk["timeout"] == 60000
    assert pk["authenticatorSelection"] == {
        "residentKey": "preferred",
        "requireResidentKey": False,
        "userVerification": "preferred",
    }
    assert pk["excludeCredentials"] == [] and "hints" not in pk


def test_the_user_is_created_on_first_sight_with_a_random_handle(api: Api) -> None:
    pk = public_key(api)
    with with_org(api.org):
        user = User.objects.get(external_id="u1")
    assert pk["user"]["id"] == b64url(bytes(user.webauthn_user_handle))
    assert user.email == "alice@acme.test"  # the handle is not the external id or the email


@pytest.mark.parametrize(
    ("policy", "check"),
    [
        (
            {"user_verification": "required"},
            lambda pk: pk["authenticatorSelection"]["userVerification"] == "required",
        ),
        ({"attestation": "enterprise"}, lambda pk: pk["attestation"] == "enterprise"),
        (
            {"resident_key": "required"},
            lambda pk: (
                pk["authenticatorSelection"]["residentKey"] == "required"
                and pk["authenticatorSelection"]["requireResidentKey"] is True
            ),
        ),
        (
            {"authenticator_attachment": "platform"},
            lambda pk: (
                pk["authenticatorSelection"]["authenticatorAttachment"] == "platform"
                and pk["hints"] == ["client-device"]
            ),
        ),
        (
            {"authenticator_attachment": "cross-platform"},
            lambda pk: (
                pk["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
                and pk["hints"] == ["security-key", "hybrid"]
            ),
        ),
        (
            {"algorithms": [-257, -7]},
            lambda pk: [p["alg"] for p in pk["pubKeyCredParams"]] == [-257, -7],
        ),
        ({"timeout_seconds": 120}, lambda pk: pk["timeout"] == 120000),
        ({"rp_name": "Acme Login"}, lambda pk: pk["rp"]["name"] == "Acme Login"),
    ],
)
def test_each_policy_field_shapes_the_options(api: Api, policy: dict[str, Any], check: Any) -> None:
    api.set_policy(**policy)
    assert check(public_key(api))


def test_existing_passkeys_are_excluded_with_their_transports(api: Api) -> None:
    assert api.register().status_code == 201
    excluded = public_key(api)["excludeCredentials"]
    assert excluded == [
        {
            "id": b64url(next(iter(api.authenticator.credentials))),
            "type": "public-key",
            "transports": ["internal", "hybrid"],
        }
    ]


def test_registration_disabled_is_refused_and_creates_no_user(api: Api) -> None:
    api.set_policy(passkey_registration_enabled=False)
    before = snapshot(api.org)
    assert_problem(
        api.post("/webauthn/register/options", BODY), 403, "passkey_registration_disabled"
    )
    assert snapshot(api.org) == before


def test_the_limit_is_checked_at_options(api: Api) -> None:
    api.set_policy(max_passkeys_per_user=1)
    assert api.register().status_code == 201
    assert_problem(api.post("/webauthn/register/options", BODY), 409, "passkey_limit_reached")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user": {"id": "u1"}},
        {"user": "u1"},
        {"user": {"id": "", "name": "a@b.test"}},
        {"user": {"id": "u1", "name": "has space@b.test"}},
    ],
)
def test_an_integrator_must_name_the_user(api: Api, body: Any) -> None:
    before = snapshot(api.org)
    assert_problem(api.post("/webauthn/register/options", body), 400, "invalid_request")
    assert snapshot(api.org) == before


def test_a_name_taken_by_another_id_is_refused(api: Api) -> None:
    public_key(api)
    body = {"user": {"id": "u2", "name": "alice@acme.test"}}
    assert_problem(api.post("/webauthn/register/options", body), 400, "invalid_request")


def test_a_disabled_user_gets_no_options(api: Api) -> None:
    public_key(api)
    with with_org(api.org):
        User.objects.filter(external_id="u1").update(is_active=False)
    assert_problem(api.post("/webauthn/register/options", BODY), 403, "user_inactive")


def test_without_key_or_session_it_is_unauthenticated(api: Api) -> None:
    response = APIClient(HTTP_HOST="acme.localhost").post(
        "/webauthn/register/options", BODY, format="json"
    )
    assert_problem(response, 401, "unauthenticated")


def test_a_key_of_another_org_is_unauthenticated(api: Api, globex_api: Api) -> None:
    client = APIClient(HTTP_HOST="acme.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {globex_api.secret}")
    assert_problem(
        client.post("/webauthn/register/options", BODY, format="json"), 401, "unauthenticated"
    )


def test_a_signed_in_browser_registers_for_itself_with_csrf(api: Api) -> None:
    with with_org(api.org):
        user = user_create(email="carol@acme.test", password="a-Long-passphrase-1")
    browser = APIClient(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    with with_org(api.org):
        fresh_login(browser, user)
    assert_problem(browser.post("/webauthn/register/options", {}, format="json"), 403, "forbidden")
    secret = get_random_string(32)  # Django accepts an unmasked secret as the header token
    browser.cookies["csrftoken"] = secret
    response = browser.post(
        "/webauthn/register/options", {}, format="json", HTTP_X_CSRFTOKEN=secret
    )
    assert response.status_code == 200, response.json()
    assert response.json()["publicKey"]["user"]["name"] == "carol@acme.test"
