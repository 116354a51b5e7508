"""No input reaches a 5xx: deep JSON, NUL bytes, lone surrogates, over-long ids and numbers out
of range are 400 invalid_request (or 404 for ids that cannot exist), and nothing is written."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from auth_methods.encoding import b64url_encode
from tests.api.conftest import Api
from tests.support.db import assert_problem, snapshot

pytestmark = pytest.mark.django_db

CEREMONY_POSTS = [
    "/webauthn/register/options",
    "/webauthn/register",
    "/webauthn/authenticate/options",
    "/webauthn/authenticate",
]


def raw_post(client: Client, path: str, body: str) -> object:
    return client.post(path, body.encode(), content_type="application/json")


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", CEREMONY_POSTS)
def test_it_refuses_json_nested_5000_deep_with_a_key(api: Api, path: str) -> None:
    before = snapshot(api.org)
    body = assert_problem(raw_post(api.client, path, deep(5000)), 400, "invalid_request")
    assert "deep" in body["detail"]
    assert snapshot(api.org) == before


@pytest.mark.parametrize("path", ["/webauthn/authenticate/options", "/webauthn/authenticate"])
def test_it_refuses_json_nested_5000_deep_without_a_key(acme_client: Client, path: str) -> None:
    # Sign-in is open to anonymous browsers, and the CSRF check already reads the body.
    response = raw_post(acme_client, path, '{"user": ' + deep(5000) + "}")
    assert_problem(response, 400, "invalid_request")


@pytest.mark.parametrize("path", ["/webauthn/register/options", "/webauthn/register"])
def test_registration_without_a_caller_stays_unauthenticated(
    acme_client: Client, path: str
) -> None:
    response = raw_post(acme_client, path, '{"user": ' + deep(5000) + "}")
    assert_problem(response, 401, "unauthenticated")


def test_it_refuses_deep_json_on_a_patch(api: Api) -> None:
    before = snapshot(api.org)
    response = api.client.patch(
        "/api/v1/auth-settings",
        ('{"rp_name": ' + deep(5000) + "}").encode(),
        content_type="application/json",
    )
    assert_problem(response, 400, "invalid_request")
    assert snapshot(api.org) == before


def test_nesting_within_the_limit_still_parses(api: Api) -> None:
    # 20 levels is far beyond any contract body, and still only a shape error.
    response = raw_post(api.client, "/webauthn/register", '{"credential": ' + deep(20) + "}")
    assert_problem(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ('{"user": {"id": "a\\u0000b", "name": "n@acme.test"}}', "NUL"),
        ('{"user": {"id": "a", "name": "n\\u0000@acme.test"}}', "NUL"),
        ('{"user": {"id": "\\ud800", "name": "n@acme.test"}}', "surrogate"),
        ('{"user": {"id": "a", "name": "n@acme.test", "display_name": "\\udfff"}}', "surrogate"),
        ('{"user": {"id": "a", "name": "n@acme.test", "\\u0000": 1}}', "NUL"),
    ],
)
def test_register_options_refuses_nul_and_lone_surrogates(api: Api, body: str, what: str) -> None:
    before = snapshot(api.org)
    problem = assert_problem(
        raw_post(api.client, "/webauthn/register/options", body), 400, "invalid_request"
    )
    assert what.lower() in problem["detail"].lower()
    assert snapshot(api.org) == before


@pytest.mark.parametrize("value", ['"Acme\\u0000Corp"', '"\\ud83d"'])
def test_auth_settings_refuses_nul_or_surrogate_in_rp_name(api: Api, value: str) -> None:
    before = snapshot(api.org)
    response = api.client.patch(
        "/api/v1/auth-settings",
        ('{"rp_name": ' + value + "}").encode(),
        content_type="application/json",
    )
    assert_problem(response, 400, "invalid_request")
    assert snapshot(api.org) == before


@pytest.mark.parametrize(
    "body",
    [
        '{"timeout_seconds": 1' + "0" * 400 + "}",
        '{"max_passkeys_per_user": 1e400}',
        '{"timeout_seconds": NaN}',
        '{"token_ttl_seconds": Infinity}',
        '{"algorithms": [' + "9" * 5000 + "]}",
    ],
)
def test_auth_settings_refuses_numbers_out_of_range(api: Api, body: str) -> None:
    before = snapshot(api.org)
    response = api.client.patch(
        "/api/v1/auth-settings", body.encode(), content_type="application/json"
    )
    assert_problem(response, 400, "invalid_request")
    assert snapshot(api.org) == before


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_nul_byte_in_a_user_id_in_the_path_is_not_found(api: Api, method: str) -> None:
    before = snapshot(api.org)
    response = getattr(api.client, method)("/api/v1/users/a%00b", {}, format="json")
    assert_problem(response, 404, "not_found")
    assert snapshot(api.org) == before


def test_a_nul_byte_in_a_user_id_before_passkeys_is_not_found(api: Api) -> None:
    assert_problem(api.client.delete("/api/v1/users/a%00b/passkeys"), 404, "not_found")


def test_an_over_long_user_id_in_the_path_is_not_found(api: Api) -> None:
    assert_problem(api.client.get("/api/v1/users/" + "u" * 5000), 404, "not_found")


@pytest.mark.parametrize("user_id", ["a\x00b", "u" * 201])
def test_a_bad_user_id_in_the_query_is_invalid(api: Api, user_id: str) -> None:
    response = api.client.get("/webauthn/credentials", {"user_id": user_id})
    assert_problem(response, 400, "invalid_request")


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_an_over_long_credential_id_is_not_found(api: Api, method: str) -> None:
    before = snapshot(api.org)
    response = getattr(api.client, method)(
        "/webauthn/credentials/" + "A" * 3000, {"label": "x"}, format="json"
    )
    assert_problem(response, 404, "not_found")
    assert snapshot(api.org) == before


def test_a_label_with_a_nul_byte_is_invalid(api: Api) -> None:
    assert api.register("u1", "alice@acme.test").status_code == 201
    cred = api.client.get("/webauthn/credentials", {"user_id": "u1"}).json()["results"][0]["id"]
    before = snapshot(api.org)
    response = api.client.patch(
        f"/webauthn/credentials/{cred}", b'{"label": "a\\u0000b"}', content_type="application/json"
    )
    assert_problem(response, 400, "invalid_request")
    assert snapshot(api.org) == before


def test_a_body_that_is_not_utf8_is_invalid(api: Api) -> None:
    response = api.client.post(
        "/webauthn/authenticate/options",
        b'{"user": {"id": "\xff"}}',
        content_type="application/json",
    )
    assert_problem(response, 400, "invalid_request")


def test_a_keyless_client_gets_the_same_guard(acme: object) -> None:
    client = APIClient(HTTP_HOST="acme.localhost")
    response = client.post(
        "/webauthn/authenticate/options",
        b'{"user": {"id": "\\ud800"}}',
        content_type="application/json",
    )
    assert_problem(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/webauthn/register/options", {"user": {"id": "n1", "name": "n1@acme.test"}, "x": 1}),
        ("/webauthn/register/options", {"user": {"id": "n1", "name": "n1@acme.test", "x": 1}}),
        ("/webauthn/authenticate/options", {"user": {"id": "n1"}, "x": 1}),
        ("/webauthn/register", {"credential": {}, "label": "k", "x": 1}),
    ],
)
def test_a_field_the_schema_does_not_declare_is_refused(
    api: Api, path: str, body: dict[str, object]
) -> None:
    before = snapshot(api.org)
    problem = assert_problem(api.post(path, body), 400, "invalid_request")
    assert "x: unknown" in problem["detail"]
    assert snapshot(api.org) == before


def test_setting_a_flag_by_hand_is_refused(api: Api) -> None:
    assert api.register("u1", "alice@acme.test").status_code == 201
    cred = api.client.get("/webauthn/credentials", {"user_id": "u1"}).json()["results"][0]["id"]
    before = snapshot(api.org)
    response = api.client.patch(f"/webauthn/credentials/{cred}", {"flagged": True}, format="json")
    assert "may only be cleared" in assert_problem(response, 400, "invalid_request")["detail"]
    assert snapshot(api.org) == before


def test_a_body_that_is_not_json_is_invalid_request(api: Api) -> None:
    response = api.client.post(
        "/webauthn/authenticate/options", b"user=x", content_type="text/plain"
    )
    assert_problem(response, 400, "invalid_request")


@pytest.mark.parametrize("size", [1024, 1100, 2000, 4000])
def test_registering_an_over_long_credential_id_is_refused(api: Api, size: int) -> None:
    # WebAuthn ids are at most 1023 bytes; a longer one must be refused, never stored or a 500.
    options = api.post(
        "/webauthn/register/options", {"user": {"id": "long", "name": "long@acme.test"}}
    ).json()
    credential = api.authenticator.create(options, origin=api.origin, credential_id=b"\1" * size)
    before = snapshot(api.org)
    response = api.post("/webauthn/register", {"credential": credential, "label": "k"})
    assert_problem(response, 400, "invalid_request")
    assert snapshot(api.org) == before


@pytest.mark.parametrize("size", [1024, 2000, 4000])
def test_signing_in_with_an_over_long_credential_id_is_refused(api: Api, size: int) -> None:
    assert api.register("u1", "alice@acme.test").status_code == 201
    options = api.post("/webauthn/authenticate/options", {}).json()
    credential = api.authenticator.get(options, origin=api.origin)
    credential["id"] = credential["rawId"] = b64url_encode(b"\1" * size)
    before = snapshot(api.org)
    response = api.post("/webauthn/authenticate", {"credential": credential})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] in {"invalid_request", "credential_unknown"}
    assert snapshot(api.org) == before


def test_an_id_of_1023_bytes_in_the_path_is_looked_up_and_not_found(api: Api) -> None:
    response = api.client.delete("/webauthn/credentials/" + b64url_encode(b"\1" * 1023))
    assert_problem(response, 404, "not_found")
