"""An app (relying party) driving the org's OpenID Provider through Django's test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from rest_framework.test import APIClient

from auth_methods.audit import Actor
from auth_methods.models import User
from oidc.clients import ClientWithSecret, client_create
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import PASSWORD, make_user
from tests.support.authenticator import SoftAuthenticator

REDIRECT = "https://app.example/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def register_client(org: Organisation, **extra: Any) -> ClientWithSecret:
    with with_org(org):
        return client_create(
            actor=Actor(label="test"),
            name=extra.pop("name", "App"),
            redirect_uris=extra.pop("redirect_uris", [REDIRECT]),
            post_logout_redirect_uris=extra.pop("post_logout_redirect_uris", [REDIRECT + "/bye"]),
            **extra,
        )


@dataclass
class App:
    """One registered client, with a browser (``browser``) on the org's host."""

    org: Organisation
    registered: ClientWithSecret
    browser: Client = field(init=False)
    verifier: str = ""
    nonce: str = ""

    def __post_init__(self) -> None:
        self.browser = APIClient(HTTP_HOST=f"{self.org.slug}.localhost")

    @property
    def client_id(self) -> str:
        return self.registered.client.client_id

    def authorize_params(self, **extra: str) -> dict[str, str]:
        self.verifier, challenge = pkce()
        self.nonce = secrets.token_urlsafe(8)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid profile email offline_access",
            "state": "st-1",
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(extra)
        return {k: v for k, v in params.items() if v is not None}

    def authorize(self, **extra: str) -> Any:
        return self.browser.get(f"/oidc/authorize?{urlencode(self.authorize_params(**extra))}")

    def sign_in_with_password(self, user: User) -> None:
        response = self.browser.post("/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.content[:300]

    def code(self, **extra: str) -> str:
        response = self.authorize(**extra)
        assert response.status_code == 302, response.content[:300]
        found = query_of(response["Location"])
        assert response["Location"].startswith(REDIRECT), response["Location"]
        assert found["state"] == "st-1" and found["iss"] == f"http://{self.org.slug}.localhost"
        return found["code"]

    def token(self, **form: str) -> Any:
        body = {"client_id": self.client_id, **form}
        if self.registered.secret:
            body["client_secret"] = self.registered.secret
        return Client(HTTP_HOST=f"{self.org.slug}.localhost").post("/oidc/token", body)

    def exchange(self, code: str, **extra: str) -> Any:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": self.verifier,
        }
        form.update(extra)
        return self.token(**{k: v for k, v in form.items() if v is not None})


@pytest.fixture
def alice(acme: Organisation) -> User:
    return make_user(acme, "alice@acme.test", display_name="Alice A.")


@pytest.fixture
def app(acme: Organisation) -> App:
    return App(acme, register_client(acme))


@pytest.fixture
def public_app(acme: Organisation) -> App:
    return App(acme, register_client(acme, name="SPA", public=True))


def passkey_sign_in(
    org: Organisation,
    browser: Client,
    user: User,
    authenticator: SoftAuthenticator | None = None,
    **forge: Any,
) -> None:
    """Register a passkey for ``user`` (integrator API) and sign in with it in ``browser``."""
    from tests.api.conftest import make_api

    api = make_api(org, ["admin"])
    auth = authenticator or SoftAuthenticator()
    api.authenticator = auth
    assert api.register(user.external_id, user.email).status_code == 201
    options = browser.post("/webauthn/authenticate/options", {}, content_type="application/json")
    assert options.status_code == 200, options.content
    credential = auth.get(options.json(), origin=f"http://{org.slug}.localhost", **forge)
    done = browser.post(
        "/webauthn/authenticate", {"credential": credential}, content_type="application/json"
    )
    assert done.status_code == 200, done.content


@pytest.fixture
def api(acme: Organisation) -> Any:
    from tests.api.conftest import make_api

    return make_api(acme, ["admin"])


@pytest.fixture
def plain_api(acme: Organisation) -> Any:
    from tests.api.conftest import make_api

    return make_api(acme, [])


@pytest.fixture
def globex_api(globex: Organisation) -> Any:
    from tests.api.conftest import make_api

    return make_api(globex, ["admin"])
