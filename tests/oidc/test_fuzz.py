"""No input to the provider's endpoints yields a 5xx (NUL bytes, huge or odd values)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import pytest
from django.test import Client

from auth_methods.models import User
from tests.oidc.conftest import App

pytestmark = pytest.mark.django_db
ODD = ["\x00", "a" * 5000, "\ud800", "%", "[]", "-1", "1e99", " ", "\u202e"]


def raw_form(form: Mapping[str, str | None]) -> str:
    """Encoded as a client would send it, lone surrogates too (Django's test client refuses)."""
    return urlencode(form, encoding="utf-8", errors="surrogatepass")


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "name",
    [
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "prompt",
        "max_age",
        "acr_values",
        "login_hint",
        "code_challenge",
        "code_challenge_method",
        "response_type",
    ],
)
def test_odd_authorization_parameters(app: App, alice: User, name: str, value: str) -> None:
    app.sign_in_with_password(alice)
    params = app.authorize_params(**{name: value})
    response = app.browser.get(f"/oidc/authorize?{raw_form(params)}")
    assert response.status_code < 500
    if response.status_code == 302 and response["Location"].startswith("/login"):
        assert app.browser.get(response["Location"]).status_code < 500


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "name", ["code", "redirect_uri", "code_verifier", "refresh_token", "client_id", "grant_type"]
)
def test_odd_token_parameters(app: App, name: str, value: str) -> None:
    form = {
        "grant_type": "authorization_code",
        "code": "x",
        "redirect_uri": "https://app.example/callback",
        "code_verifier": "v" * 50,
        "client_id": app.client_id,
        "client_secret": app.registered.secret or "",
        "refresh_token": "r",
    }
    form[name] = value
    response = Client(HTTP_HOST="acme.localhost").post(
        "/oidc/token", raw_form(form), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500


@pytest.mark.parametrize("value", ODD)
def test_odd_tokens_elsewhere(app: App, value: str) -> None:
    host = Client(HTTP_HOST="acme.localhost")
    safe = value.encode("utf-8", "surrogatepass").decode("latin-1")
    assert host.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {safe}").status_code < 500
    revoke = {"token": value, "client_id": app.client_id, "client_secret": app.registered.secret}
    revoked = host.post(
        "/oidc/revoke", raw_form(revoke), content_type="application/x-www-form-urlencoded"
    )
    assert revoked.status_code < 500
    for path, name in (
        ("/oidc/logout", "id_token_hint"),
        ("/oidc/logout", "client_id"),
        ("/login", "login_hint"),
    ):
        assert host.get(f"{path}?{raw_form({name: value})}").status_code < 500
