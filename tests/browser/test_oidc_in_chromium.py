"""An app signs its users in with Passgate (OpenID Connect), in a real browser.

The relying party is Authlib's own client (``requests_client.OAuth2Session`` with its OpenID
mixin): it discovers the provider, sends the browser through the code flow with PKCE, and
validates the ID token against the discovered issuer and JWKS, as any app would. Its pages
(the redirect URIs) are a small HTTP server that notes every URL the browser brings it.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client.sync_openid import OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session

from auth_methods.audit import Actor
from auth_methods.settings_service import auth_settings_update
from oidc.clients import client_create
from tenants.context import with_org
from tests.browser.conftest import sign_in_with_password
from tests.browser.test_passkeys_in_chromium import add_passkey
from tests.support.committed import committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


class RelyingParty(OpenIDMixin, OAuth2Session):  # type: ignore[misc]
    """An app registered with the org: discovery, PKCE, tokens, ID-token validation."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, app: str) -> None:
        OAuth2Session.__init__(
            self,
            client_id=client_id,
            client_secret=client_secret,
            scope="openid profile email offline_access",
            redirect_uri=f"{app}/callback",
            code_challenge_method="S256",
        )
        self.app = app
        self.server_metadata: dict[str, Any] = self.get(
            f"{issuer}/.well-known/openid-configuration", withhold_token=True
        ).json()

    def load_server_metadata(self) -> dict[str, Any]:
        return self.server_metadata

    @contextmanager
    def _get_session(self) -> Iterator[RelyingParty]:
        yield self


@pytest.fixture
def localhost_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """``*.localhost`` is loopback (RFC 6761): browsers know it, this machine's resolver not."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


class _AppPages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"<h1>Back in the app</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def app_origin() -> Iterator[str]:
    """The app's own host, http://rp.localhost:<port>: it answers its redirect URIs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AppPages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://rp.localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def rp(
    live: dict[str, Any],
    django_db_blocker: Any,
    localhost_names: None,
    app_origin: str,
) -> RelyingParty:
    app = app_origin

    def register() -> Any:
        with with_org(live["org"]):
            return client_create(
                actor=Actor(label="test"),
                name=f"App {secrets.token_hex(3)}",
                redirect_uris=[f"{app}/callback"],
                post_logout_redirect_uris=[f"{app}/bye"],
            )

    with django_db_blocker.unblock():
        made = committed(register)
    assert made.secret is not None
    return RelyingParty(live["url"], made.client.client_id, made.secret, app)


def sign_in_through_the_app(rp: RelyingParty, page: Any, sign_in: Any) -> dict[str, Any]:
    """The app's "Sign in with Passgate": authorize, sign in on the org's page, tokens."""
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(12)
    url, state = rp.create_authorization_url(
        rp.server_metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    page.goto(url)
    sign_in()
    page.wait_for_url(f"{rp.app}/callback?**")
    token: dict[str, Any] = rp.fetch_token(
        rp.server_metadata["token_endpoint"],
        authorization_response=page.url,
        code_verifier=verifier,
        state=state,
    )
    claims = rp.parse_id_token(token, nonce=nonce)  # signature, iss, aud, exp, nonce, at_hash
    token["claims"] = dict(claims)
    return token


def refresh_userinfo_and_log_out(
    rp: RelyingParty, page: Any, token: dict[str, Any], email: str
) -> None:
    assert rp.userinfo()["email"] == email
    refreshed = rp.refresh_token(rp.server_metadata["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert rp.userinfo()["sub"] == token["claims"]["sub"]
    logout = add_params_to_uri(
        rp.server_metadata["end_session_endpoint"],
        {
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": f"{rp.app}/bye",
            "state": "bye",
        },
    )
    page.goto(logout)
    page.wait_for_url(f"{rp.app}/bye?state=bye")
    # Signed out at the org: a silent request now needs a sign-in.
    url, _ = rp.create_authorization_url(
        rp.server_metadata["authorization_endpoint"],
        code_verifier=secrets.token_urlsafe(48),
        nonce="n",
        prompt="none",
    )
    page.goto(url)
    page.wait_for_url(f"{rp.app}/callback?**")
    assert "error=login_required" in page.url


@pytest.mark.no_autofill
def test_an_app_signs_a_person_in_with_a_passkey_alone(
    live: dict[str, Any],
    page: Any,
    person: dict[str, str],
    rp: RelyingParty,
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Laptop")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")

    def with_passkey() -> None:
        page.wait_for_url(f"{base}/login?**")
        page.get_by_role("button", name="Sign in with a passkey").click()

    token = sign_in_through_the_app(rp, page, with_passkey)
    claims = token["claims"]
    assert claims["iss"] == base and claims["email"] == person["email"]
    assert claims["amr"] == ["hwk", "user", "mfa"] and claims["acr"] == "phr"
    assert "pwd" not in claims["amr"]
    refresh_userinfo_and_log_out(rp, page, token, person["email"])


@pytest.mark.no_autofill
def test_an_app_signs_a_person_in_with_password_and_second_factor(
    live: dict[str, Any],
    page: Any,
    person: dict[str, str],
    rp: RelyingParty,
    django_db_blocker: Any,
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Key")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")

    def require_mfa(on: bool) -> None:
        def change() -> None:
            with with_org(live["org"]):
                auth_settings_update(
                    org=live["org"], actor=Actor(label="test"), changes={"mfa_required": on}
                )

        with django_db_blocker.unblock():
            committed(change)

    def with_password_then_passkey() -> None:
        page.wait_for_url(f"{base}/login?**")
        page.get_by_label("Email").fill(person["email"])
        page.get_by_label("Password").fill(person["password"])
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(f"{base}/login/second-factor/passkey**")
        page.get_by_role("button", name="Use my passkey").click()

    require_mfa(True)
    try:
        token = sign_in_through_the_app(rp, page, with_password_then_passkey)
    finally:
        require_mfa(False)
    claims = token["claims"]
    assert claims["amr"] == ["pwd", "hwk", "user", "mfa"] and claims["acr"] == "phr"
    refresh_userinfo_and_log_out(rp, page, token, person["email"])


@pytest.mark.no_autofill
def test_an_app_that_demands_phishing_resistance_gets_a_passkey_step(
    live: dict[str, Any], page: Any, person: dict[str, str], rp: RelyingParty
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Laptop")
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    url, state = rp.create_authorization_url(
        rp.server_metadata["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        acr_values="phr",
    )
    page.goto(url)  # signed in with a password only: not enough for this app
    page.wait_for_url(f"{base}/oidc/passkey?**")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{rp.app}/callback?**")
    token = rp.fetch_token(
        rp.server_metadata["token_endpoint"],
        authorization_response=page.url,
        code_verifier=verifier,
        state=state,
    )
    claims = rp.parse_id_token(token, nonce=nonce)
    assert claims["acr"] == "phr" and claims["amr"] == ["hwk", "user", "mfa"]
