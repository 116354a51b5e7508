"""/.well-known/jwks.json and /.well-known/webauthn: public, and enough to verify a token."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from auth_methods import tokens
from auth_methods.models import SigningKey
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import Api
from tests.support.db import assert_problem

pytestmark = pytest.mark.django_db

ACME_ISSUER = "http://acme.localhost"


@pytest.fixture(autouse=True)
def _no_cached_signing_key() -> Iterator[None]:
    # tokens._KEY_CACHE is per process and outlives a test's rolled-back SigningKey rows:
    # a key cached by an earlier test would sign tokens that this test's JWKS cannot hold.
    tokens._KEY_CACHE.clear()
    yield
    tokens._KEY_CACHE.clear()


def public_get(org: Organisation, path: str) -> Any:
    return APIClient(HTTP_HOST=f"{org.slug}.localhost").get(path)


def jwks_of(org: Organisation) -> list[dict[str, Any]]:
    response = public_get(org, "/.well-known/jwks.json")
    assert response.status_code == 200, response.content
    keys: list[dict[str, Any]] = response.json()["keys"]
    return keys


def signed_in_token(api: Api) -> str:
    response = api.sign_in()
    assert response.status_code == 200, response.content
    token: str = response.json()["token"]
    return token


def verify(token: str, keys: list[dict[str, Any]], audience: str = "acme") -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    [jwk] = [k for k in keys if k["kid"] == kid]
    claims: dict[str, Any] = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["ES256"],
        audience=audience,
        issuer=ACME_ISSUER,
        options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
    )
    return claims


@pytest.fixture
def enrolled(api: Api) -> Api:
    response = api.register()
    assert response.status_code == 201, response.content
    return api


# --- JWKS ---------------------------------------------------------------------------------


def test_jwks_needs_no_key_and_lists_a_public_ec_p256_key(acme: Organisation) -> None:
    [key] = jwks_of(acme)
    assert key["kty"] == "EC" and key["crv"] == "P-256"
    assert key["kid"] and key["alg"] == "ES256" and key["use"] == "sig"
    assert key["x"] and key["y"]
    assert "d" not in key  # never the private half


def test_jwks_ignores_a_garbage_key(acme: Organisation) -> None:
    client = APIClient(HTTP_HOST="acme.localhost")
    client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and response.json()["keys"]


def test_jwks_is_stable_between_calls(acme: Organisation) -> None:
    assert jwks_of(acme) == jwks_of(acme)
    with with_org(acme):
        assert SigningKey.objects.count() == 1


def test_each_org_has_its_own_key(acme: Organisation, globex: Organisation) -> None:
    acme_kids = {k["kid"] for k in jwks_of(acme)}
    globex_kids = {k["kid"] for k in jwks_of(globex)}
    assert acme_kids and globex_kids and not acme_kids & globex_kids


def test_a_sign_in_token_verifies_against_the_jwks(enrolled: Api, acme: Organisation) -> None:
    token = signed_in_token(enrolled)
    claims = verify(token, jwks_of(acme))
    assert set(claims) == {"iss", "sub", "aud", "iat", "exp", "jti", "amr", "cred"}
    assert claims["sub"] == "u1"
    assert claims["aud"] == "acme" and claims["iss"] == ACME_ISSUER
    assert claims["exp"] - claims["iat"] == 300
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    assert claims["amr"] == ["pop", "user", "mfa"]
    listed = enrolled.client.get("/webauthn/credentials", {"user_id": "u1"}).json()["results"]
    assert claims["cred"] == listed[0]["id"]
    assert jwt.get_unverified_header(token)["alg"] == "ES256"


def test_each_token_has_its_own_jti(enrolled: Api, acme: Organisation) -> None:
    keys = jwks_of(acme)
    first, second = (verify(signed_in_token(enrolled), keys) for _ in range(2))
    assert first["jti"] != second["jti"]


def test_the_token_lifetime_follows_the_policy(enrolled: Api, acme: Organisation) -> None:
    enrolled.set_policy(token_ttl_seconds=120)
    claims = verify(signed_in_token(enrolled), jwks_of(acme))
    assert claims["exp"] - claims["iat"] == 120


def test_a_token_is_not_valid_for_another_org(
    enrolled: Api, acme: Organisation, globex: Organisation
) -> None:
    token = signed_in_token(enrolled)
    with pytest.raises(jwt.InvalidAudienceError):
        verify(token, jwks_of(acme), audience="globex")
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid not in {k["kid"] for k in jwks_of(globex)}


def test_after_rotation_the_old_token_still_verifies(enrolled: Api, acme: Organisation) -> None:
    old_token = signed_in_token(enrolled)
    [old_key] = jwks_of(acme)
    call_command("rotate_signing_key", "acme", stdout=io.StringIO())
    keys = jwks_of(acme)
    assert len(keys) == 2
    assert old_key in keys
    assert verify(old_token, keys)["sub"] == "u1"
    new_token = signed_in_token(enrolled)
    new_kid = jwt.get_unverified_header(new_token)["kid"]
    assert new_kid != old_key["kid"] and new_kid in {k["kid"] for k in keys}
    assert verify(new_token, keys)["sub"] == "u1"


# --- WebAuthn related origins -------------------------------------------------------------


def test_webauthn_origins_need_no_key_and_list_the_orgs_own_origin(acme: Organisation) -> None:
    response = public_get(acme, "/.well-known/webauthn")
    assert response.status_code == 200, response.content
    assert response.json() == {"origins": [ACME_ISSUER]}


def test_webauthn_origins_include_the_allowed_origins(api: Api, acme: Organisation) -> None:
    response = api.client.patch(
        "/api/v1/auth-settings",
        {"allowed_origins": ["https://login.acme.test/", "https://acme.example"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    origins = public_get(acme, "/.well-known/webauthn").json()["origins"]
    assert ACME_ISSUER in origins
    assert "https://login.acme.test" in origins and "https://acme.example" in origins


def test_webauthn_origins_are_per_org(api: Api, globex: Organisation) -> None:
    api.set_policy(allowed_origins=["https://acme.example"])
    assert public_get(globex, "/.well-known/webauthn").json() == {
        "origins": ["http://globex.localhost"]
    }


def test_an_unknown_host_is_a_not_found_problem(acme: Organisation) -> None:
    client = APIClient(HTTP_HOST="nobody.localhost")
    assert_problem(client.get("/.well-known/jwks.json"), 404, "not_found")
    assert_problem(client.get("/.well-known/webauthn"), 404, "not_found")
