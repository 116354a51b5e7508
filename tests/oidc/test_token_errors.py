"""Every way a token request can fail: RFC 6749 JSON errors, and nothing issued."""

from __future__ import annotations

import base64
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from auth_methods.models import AuditEvent, User
from oidc.models import AuthorizationCode, Token
from oidc.tokens_store import REFRESH_TOKEN_SECONDS, oidc_purge_expired
from tenants.context import with_org
from tenants.models import Organisation
from tests.oidc.conftest import App, register_client

pytestmark = pytest.mark.django_db


def tokens_in(org: Organisation) -> int:
    with with_org(org):
        return Token.objects.count()


def refused(response: Any, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"] == error


@pytest.fixture
def signed_in_app(app: App, alice: User) -> App:
    app.sign_in_with_password(alice)
    return app


def test_a_wrong_pkce_verifier_is_invalid_grant(signed_in_app: App) -> None:
    app = signed_in_app
    code = app.code()
    refused(app.exchange(code, code_verifier="x" * 50), "invalid_grant")
    assert tokens_in(app.org) == 0


def test_a_missing_pkce_verifier_is_invalid_request(signed_in_app: App) -> None:
    app = signed_in_app
    refused(app.exchange(app.code(), code_verifier=None), "invalid_request")  # type: ignore[arg-type]
    assert tokens_in(app.org) == 0


def test_a_public_client_without_verifier_gets_nothing(public_app: App, alice: User) -> None:
    public_app.sign_in_with_password(alice)
    code = public_app.code()
    refused(public_app.exchange(code, code_verifier=None), "invalid_request")  # type: ignore[arg-type]
    assert tokens_in(public_app.org) == 0


def test_a_failed_verifier_spends_the_code(signed_in_app: App) -> None:
    app = signed_in_app
    code = app.code()
    refused(app.exchange(code, code_verifier="y" * 50), "invalid_grant")
    refused(app.exchange(code), "invalid_grant")  # the right verifier comes too late
    assert tokens_in(app.org) == 0


def test_a_reused_code_revokes_what_it_issued(signed_in_app: App) -> None:
    app = signed_in_app
    code = app.code()
    first = app.exchange(code).json()
    refused(app.exchange(code), "invalid_grant")
    info = app.browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
    assert info.status_code == 401
    refused(
        app.token(grant_type="refresh_token", refresh_token=first["refresh_token"]), "invalid_grant"
    )
    with with_org(app.org):
        assert AuditEvent.objects.filter(action="oidc.code_replayed").count() == 1
        assert not Token.objects.filter(revoked_at__isnull=True).exists()


def test_an_expired_code_is_invalid_grant(signed_in_app: App) -> None:
    app = signed_in_app
    code = app.code()
    with with_org(app.org):
        AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused(app.exchange(code), "invalid_grant")
    assert tokens_in(app.org) == 0


def test_the_redirect_uri_must_match_the_authorization_requests(signed_in_app: App) -> None:
    app = signed_in_app
    refused(app.exchange(app.code(), redirect_uri="https://app.example/other"), "invalid_grant")
    assert tokens_in(app.org) == 0


def test_a_wrong_or_missing_client_secret_is_invalid_client(signed_in_app: App) -> None:
    app = signed_in_app
    code = app.code()
    host = Client(HTTP_HOST="acme.localhost")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://app.example/callback",
        "code_verifier": app.verifier,
        "client_id": app.client_id,
    }
    refused(host.post("/oidc/token", {**form, "client_secret": "wrong"}), "invalid_client", 401)
    refused(host.post("/oidc/token", form), "invalid_client", 401)
    assert tokens_in(app.org) == 0


def test_client_secret_basic_works(signed_in_app: App) -> None:
    app = signed_in_app
    basic = base64.b64encode(f"{app.client_id}:{app.registered.secret}".encode()).decode()
    response = Client(HTTP_HOST="acme.localhost").post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": app.code(),
            "redirect_uri": "https://app.example/callback",
            "code_verifier": app.verifier,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content


def test_a_code_is_worthless_to_another_client(signed_in_app: App, acme: Organisation) -> None:
    app = signed_in_app
    other = App(acme, register_client(acme, name="Other"))
    other.verifier = app.verifier
    refused(other.exchange(app.code()), "invalid_grant")
    assert tokens_in(app.org) == 0


def test_codes_and_tokens_of_one_org_are_worthless_on_another(
    signed_in_app: App, globex: Organisation
) -> None:
    app = signed_in_app
    body = app.exchange(app.code()).json()
    code = app.code()
    globex_host = Client(HTTP_HOST="globex.localhost")
    info = globex_host.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 401
    # The same client id and secret do not exist there, so neither does the code.
    response = globex_host.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://app.example/callback",
            "code_verifier": app.verifier,
            "client_id": app.client_id,
            "client_secret": app.registered.secret,
        },
    )
    refused(response, "invalid_client")  # Authlib: 400 for a client it does not know
    refresh = globex_host.post(
        "/oidc/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": app.client_id,
            "client_secret": app.registered.secret,
        },
    )
    refused(refresh, "invalid_client")


def test_a_refresh_token_is_bound_to_its_client(signed_in_app: App, acme: Organisation) -> None:
    app = signed_in_app
    body = app.exchange(app.code()).json()
    other = App(acme, register_client(acme, name="Other"))
    refused(
        other.token(grant_type="refresh_token", refresh_token=body["refresh_token"]),
        "invalid_grant",
    )
    # Not spent by the other client's attempt: the rightful client still refreshes.
    assert (
        app.token(grant_type="refresh_token", refresh_token=body["refresh_token"]).status_code
        == 200
    )


def test_no_refresh_token_without_offline_access(signed_in_app: App) -> None:
    app = signed_in_app
    body = app.exchange(app.code(scope="openid email")).json()
    assert "refresh_token" not in body and body["id_token"]


def test_a_disabled_users_code_yields_nothing(signed_in_app: App, alice: User) -> None:
    app = signed_in_app
    code = app.code()
    with with_org(app.org):
        User.objects.filter(pk=alice.pk).update(is_active=False)
    refused(app.exchange(code), "invalid_grant")
    assert tokens_in(app.org) == 0


def test_the_token_endpoint_is_throttled(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    # One fixed window for the whole test: a window boundary mid-loop would reset the count.
    monkeypatch.setattr("auth_methods.ratelimit.time", SimpleNamespace(time=lambda: 6000.0))
    host = Client(HTTP_HOST="acme.localhost")
    statuses = [
        host.post("/oidc/token", {"grant_type": "authorization_code"}).status_code
        for _ in range(61)
    ]
    assert statuses[:60] == [401] * 60 and statuses[60] == 429


def test_userinfo_needs_a_bearer_token(app: App) -> None:
    assert Client(HTTP_HOST="acme.localhost").get("/oidc/userinfo").status_code == 401
    wrong = Client(HTTP_HOST="acme.localhost").get(
        "/oidc/userinfo", HTTP_AUTHORIZATION="Bearer nope"
    )
    assert wrong.status_code == 401


def test_an_old_refresh_token_is_refused(signed_in_app: App) -> None:
    app = signed_in_app
    body = app.exchange(app.code()).json()
    with with_org(app.org):
        Token.objects.update(issued_at=F("issued_at") - REFRESH_TOKEN_SECONDS - 1)
    refused(
        app.token(grant_type="refresh_token", refresh_token=body["refresh_token"]), "invalid_grant"
    )


def test_the_purge_keeps_what_can_still_be_replayed(signed_in_app: App) -> None:
    app = signed_in_app
    app.exchange(app.code())
    with with_org(app.org):
        assert oidc_purge_expired() == 0
        AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(days=2))
        Token.objects.update(issued_at=F("issued_at") - REFRESH_TOKEN_SECONDS - 2 * 86400)
        assert oidc_purge_expired() == 2
        assert not Token.objects.exists() and not AuthorizationCode.objects.exists()
