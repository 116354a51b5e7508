from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from auth_methods.api_keys import api_key_create
from auth_methods.audit import CLI, Actor
from auth_methods.settings_service import auth_settings_update
from tenants.context import with_org
from tenants.models import Organisation
from tests.support.authenticator import SoftAuthenticator

ACME_ORIGIN = "http://acme.localhost"


class Api:
    """An integrator's view of one org: an API key, JSON calls, and an authenticator."""

    def __init__(self, org: Organisation, secret: str) -> None:
        self.org = org
        self.secret = secret
        self.client = APIClient(HTTP_HOST=f"{org.slug}.localhost")
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.origin = f"http://{org.slug}.localhost"
        self.authenticator = SoftAuthenticator()

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.client.post(path, body if body is not None else {}, format="json", **extra)

    def register(
        self,
        user_id: str = "u1",
        name: str = "alice@acme.test",
        *,
        authenticator: SoftAuthenticator | None = None,
        **forge: Any,
    ) -> Any:
        """options -> create -> register; returns the register response."""
        auth = authenticator or self.authenticator
        options = self.post(
            "/webauthn/register/options",
            {"user": {"id": user_id, "name": name, "display_name": "Alice"}},
        )
        assert options.status_code == 200, options.json()
        credential = auth.create(options.json(), origin=self.origin, **forge)
        return self.post("/webauthn/register", {"credential": credential, "label": "Key"})

    def sign_in(
        self,
        user_id: str | None = "u1",
        *,
        authenticator: SoftAuthenticator | None = None,
        **forge: Any,
    ) -> Any:
        auth = authenticator or self.authenticator
        body = {"user": {"id": user_id}} if user_id else {}
        options = self.post("/webauthn/authenticate/options", body)
        assert options.status_code == 200, options.json()
        credential = auth.get(options.json(), origin=self.origin, **forge)
        return self.post("/webauthn/authenticate", {"credential": credential})

    def set_policy(self, **changes: Any) -> None:
        with with_org(self.org):
            auth_settings_update(org=self.org, actor=Actor(label="test"), changes=changes)


def make_api(org: Organisation, scopes: list[str]) -> Api:
    with with_org(org):
        made = api_key_create(actor=CLI, name="test", scopes=scopes)
    return Api(org, made.secret)


@pytest.fixture
def api(acme: Organisation) -> Api:
    return make_api(acme, ["admin"])


@pytest.fixture
def plain_api(acme: Organisation) -> Api:
    return make_api(acme, [])


@pytest.fixture
def globex_api(globex: Organisation) -> Api:
    return make_api(globex, ["admin"])


@pytest.fixture
def in_org() -> Callable[[Organisation], Any]:
    return with_org
