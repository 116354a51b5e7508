"""Session REST: every sensitive endpoint refuses a browser session older than 10 minutes
with 403 reauthentication_required and writes nothing; a fresh session and API keys pass."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.step_up.conftest import World, state
from tests.support.db import assert_problem
from tests.support.sessions import make_stale

pytestmark = pytest.mark.django_db

# (method, path, body, status of a fresh session's success). MINE is the session's own passkey.
SENSITIVE: list[tuple[str, str, Any, int]] = [
    ("patch", "/api/v1/auth-settings", {"mfa_required": True}, 200),
    ("patch", "/api/v1/auth-settings", {"allowed_origins": ["https://evil.example"]}, 200),
    ("patch", "/api/v1/users/bob", {"active": False}, 200),
    ("patch", "/api/v1/users/bob", {"passkey_enrolment_required": True}, 200),
    ("delete", "/api/v1/users/bob/passkeys", None, 204),
    ("post", "/webauthn/register/options", {}, 200),
    ("patch", "/webauthn/credentials/MINE", {"label": "Renamed"}, 200),
    ("patch", "/webauthn/credentials/MINE", {"flagged": False}, 200),
    ("delete", "/webauthn/credentials/MINE", None, 204),
]
IDS = [f"{m} {p} {json.dumps(b)}" for m, p, b, _ in SENSITIVE]


def call(client: Client, world: World, method: str, path: str, body: Any) -> Any:
    path = path.replace("MINE", world.my_credential)
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("method,path,body,ok", SENSITIVE, ids=IDS)
def test_a_stale_session_changes_nothing(
    world: World, method: str, path: str, body: Any, ok: int
) -> None:
    browser = make_stale(world.browser)
    before = state(world.org)
    response = call(browser, world, method, path, body)
    problem = assert_problem(response, 403, "reauthentication_required")
    assert problem["title"] == "Reauthentication required"
    assert state(world.org) == before


@pytest.mark.parametrize("method,path,body,ok", SENSITIVE, ids=IDS)
def test_a_fresh_session_may(world: World, method: str, path: str, body: Any, ok: int) -> None:
    before = state(world.org)
    response = call(world.browser, world, method, path, body)
    assert response.status_code == ok, response.content[:300]
    assert state(world.org) != before


@pytest.mark.parametrize("method,path,body,ok", SENSITIVE, ids=IDS)
def test_an_api_key_is_never_asked(
    world: World, method: str, path: str, body: Any, ok: int
) -> None:
    if path == "/webauthn/register/options":  # an integrator names the user
        body = {"user": {"id": "carol", "name": "carol@acme.test"}}
    before = state(world.org)
    response = call(world.api.client, world, method, path, body)
    assert response.status_code == ok, response.content[:300]
    assert state(world.org) != before


def test_a_stale_session_cannot_finish_a_registration_it_began_while_fresh(
    world: World,
) -> None:
    """The chain from the pen test: a stale session registers its own passkey, signs in with
    it (a fresh sign-in time) and mints an admin key. Registering is where it now stops."""
    options = world.browser.post(
        "/webauthn/register/options", "{}", content_type="application/json"
    )
    assert options.status_code == 200
    credential = world.api.authenticator.create(options.json(), origin=world.api.origin)
    browser = make_stale(world.browser)
    before = state(world.org)
    response = browser.post(
        "/webauthn/register",
        json.dumps({"credential": credential, "label": "Mine now"}),
        content_type="application/json",
    )
    assert_problem(response, 403, "reauthentication_required")
    assert state(world.org) == before
    minted = browser.post("/orgs/acme/portal/api-keys/new", {"name": "x", "admin_scope": "on"})
    assert minted.status_code == 302 and minted["Location"].startswith("/login/confirm?next=")
    assert state(world.org) == before


def test_reading_needs_no_recent_sign_in(world: World) -> None:
    browser = make_stale(world.browser)
    assert browser.get("/api/v1/auth-settings").status_code == 200
    assert browser.get("/api/v1/users/bob").status_code == 200
    assert browser.get("/webauthn/credentials").status_code == 200
    preview = browser.post(
        "/api/v1/auth-settings/preview", '{"mfa_required": true}', content_type="application/json"
    )
    assert preview.status_code == 200


def test_re_confirming_the_password_opens_the_doors_again(world: World) -> None:
    browser = make_stale(world.browser)
    patch = ("patch", "/api/v1/auth-settings", {"mfa_required": True})
    assert call(browser, world, *patch).status_code == 403
    confirmed = browser.post("/login/confirm", {"password": "a-Long-passphrase-1"})
    assert confirmed.status_code == 302
    assert call(browser, world, *patch).status_code == 200
