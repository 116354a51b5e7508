"""The authorization code flow end to end: sign-in on /login, code, tokens, claims, refresh."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from django.test import Client

from auth_methods.models import AuditEvent, User
from oidc.models import AuthorizationCode, Token
from tenants.context import with_org
from tenants.models import Organisation
from tests.oidc.conftest import REDIRECT, App, passkey_sign_in, query_of, register_client
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db
ISSUER = "http://acme.localhost"


def verify_id_token(org_host: Client, id_token: str, audience: str) -> dict[str, Any]:
    keys = org_host.get("/.well-known/jwks.json").json()["keys"]
    header = jwt.get_unverified_header(id_token)
    [jwk] = [k for k in keys if k["kid"] == header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        id_token, jwt.PyJWK(jwk).key, algorithms=[header["alg"]], audience=audience, issuer=ISSUER
    )
    return claims


def test_an_unsigned_browser_goes_to_the_org_login_page_and_comes_back(
    app: App, alice: User
) -> None:
    first = app.authorize()
    assert first.status_code == 302, first.content.decode()[-1500:]
    assert first.status_code == 302 and first["Location"].startswith("/login?next=")
    back = query_of(first["Location"])["next"]
    assert back.startswith("/oidc/authorize?")
    login = app.browser.post(
        "/login", {"email": alice.email, "password": "a-Long-passphrase-1", "next": back}
    )
    assert login.status_code == 302 and login["Location"] == back
    done = app.browser.get(back)
    assert done.status_code == 302 and done["Location"].startswith(REDIRECT + "?")
    params = query_of(done["Location"])
    assert params["state"] == "st-1" and params["iss"] == ISSUER and params["code"]


def test_a_password_sign_in_yields_tokens_with_truthful_claims(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    response = app.exchange(app.code())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"].lower() == "bearer" and body["refresh_token"]
    assert response["Cache-Control"] == "no-store"
    claims = verify_id_token(app.browser, body["id_token"], app.client_id)
    assert claims["sub"] == alice.external_id and claims["nonce"] == app.nonce
    assert claims["amr"] == ["pwd"] and claims["acr"] == "basic"
    assert claims["email"] == "alice@acme.test" and claims["email_verified"] is False
    assert claims["name"] == "Alice A." and isinstance(claims["auth_time"], int)
    with with_org(app.org):
        event = AuditEvent.objects.get(action="oidc.token_issue")
        assert event.subject == alice and event.data["client_id"] == app.client_id
        assert body["access_token"] not in str(event.data)
    info = app.browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 200
    assert info.json() == {
        "sub": alice.external_id,
        "name": "Alice A.",
        "email": "alice@acme.test",
        "email_verified": False,
    }


def test_a_passkey_with_uv_is_phishing_resistant_and_multi_factor(app: App, alice: User) -> None:
    passkey_sign_in(app.org, app.browser, alice)
    body = app.exchange(app.code()).json()
    claims = verify_id_token(app.browser, body["id_token"], app.client_id)
    assert claims["amr"] == ["hwk", "user", "mfa"] and claims["acr"] == "phr"


def test_a_synced_passkey_without_uv_says_so(app: App, alice: User) -> None:
    synced = SoftAuthenticator(backup_eligible=True, backed_up=True)
    passkey_sign_in(app.org, app.browser, alice, synced, user_verified=False)
    claims = verify_id_token(
        app.browser, app.exchange(app.code()).json()["id_token"], app.client_id
    )
    assert claims["amr"] == ["swk", "user"] and claims["acr"] == "basic"


def test_rs256_clients_get_rs256_id_tokens_from_a_published_key(
    acme: Organisation, alice: User
) -> None:
    app = App(acme, register_client(acme, id_token_alg="RS256"))
    app.sign_in_with_password(alice)
    id_token = app.exchange(app.code()).json()["id_token"]
    assert jwt.get_unverified_header(id_token)["alg"] == "RS256"
    assert verify_id_token(app.browser, id_token, app.client_id)["sub"] == alice.external_id


def test_refresh_rotates_and_a_replay_revokes_the_family(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    first = app.exchange(app.code()).json()
    second = app.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200, second.content
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    claims = verify_id_token(app.browser, rotated["id_token"], app.client_id)
    assert claims["amr"] == ["pwd"] and claims["sub"] == alice.external_id
    replay = app.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The thief's replay ends the legitimate holder's tokens too.
    again = app.token(grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    info = app.browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}")
    assert info.status_code == 401
    with with_org(app.org):
        assert not Token.objects.filter(revoked_at__isnull=True).exists()


def test_a_public_client_uses_pkce_and_no_secret(public_app: App, alice: User) -> None:
    public_app.sign_in_with_password(alice)
    response = public_app.exchange(public_app.code())
    assert response.status_code == 200, response.content
    with with_org(public_app.org):
        assert AuthorizationCode.objects.get().used_at is not None


def test_revocation_of_a_refresh_token_ends_the_grant(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    body = app.exchange(app.code()).json()
    revoked = Client(HTTP_HOST="acme.localhost").post(
        "/oidc/revoke",
        {
            "token": body["refresh_token"],
            "client_id": app.client_id,
            "client_secret": app.registered.secret,
        },
    )
    assert revoked.status_code == 200
    info = app.browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 401
    refresh = app.token(grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refresh.status_code == 400


def test_rp_initiated_logout_ends_the_session_and_returns_to_the_app(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    id_token = app.exchange(app.code()).json()["id_token"]
    response = app.browser.get(
        "/oidc/logout",
        {"id_token_hint": id_token, "post_logout_redirect_uri": REDIRECT + "/bye", "state": "s"},
    )
    assert response.status_code == 302 and response["Location"] == REDIRECT + "/bye?state=s"
    assert "_auth_user_id" not in app.browser.session
    assert app.authorize(prompt="none")["Location"].startswith(REDIRECT + "?error=login_required")


def test_discovery_names_this_org_as_issuer(app: App) -> None:
    meta = app.browser.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == ISSUER
    assert meta["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["id_token_signing_alg_values_supported"]) == {"ES256", "RS256"}
    assert meta["authorization_response_iss_parameter_supported"] is True
    globex = Client(HTTP_HOST="globex.localhost").get("/.well-known/openid-configuration")
    assert globex.json()["issuer"] == "http://globex.localhost"


def test_logout_without_a_hint_asks_first_and_never_redirects_elsewhere(
    app: App, alice: User
) -> None:
    app.sign_in_with_password(alice)
    asked = app.browser.get("/oidc/logout", {"post_logout_redirect_uri": REDIRECT + "/bye"})
    assert asked.status_code == 200 and b"logout-confirm" in asked.content
    assert "_auth_user_id" in app.browser.session  # nothing happened on a GET
    id_token = app.exchange(app.code()).json()["id_token"]
    done = app.browser.get(
        "/oidc/logout",
        {"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert done.status_code == 200 and not done.has_header("Location")
    assert "_auth_user_id" not in app.browser.session


def test_a_forged_id_token_hint_is_refused(app: App) -> None:
    response = app.browser.get("/oidc/logout", {"id_token_hint": "e30.e30.sig"})
    assert response.status_code == 400 and not response.has_header("Location")


def test_disabling_a_client_ends_its_tokens(app: App, alice: User, api: Any) -> None:
    app.sign_in_with_password(alice)
    body = app.exchange(app.code()).json()
    assert (
        api.client.patch(
            f"/api/v1/oidc-clients/{app.client_id}", {"active": False}, format="json"
        ).status_code
        == 200
    )
    info = app.browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 401
    refresh = app.token(grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refresh.status_code in (400, 401) and refresh.json()["error"] == "invalid_client"
