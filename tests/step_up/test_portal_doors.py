"""The portal: every page that changes something sensitive sends a session older than 10
minutes to re-confirm (the services' reauthentication_required, mapped to the re-confirm
redirect) and writes nothing; a fresh session gets through."""

from __future__ import annotations

from typing import Any

import pytest

from portal.views.users import ACTIONS
from tests.portal.test_auth_settings_page import form_data
from tests.step_up.conftest import World, state
from tests.support.sessions import make_stale

pytestmark = pytest.mark.django_db

PORTAL = "/orgs/acme/portal"
NEW_ADMIN = {
    "email": "eve@acme.test",
    "password": "Eve-chose-this-1",
    "role": "admin",
    "external_id": "",
    "display_name": "",
}

# (path, form, does a fresh session's POST change something). MINE: the admin's passkey pk,
# KEY: the live API key's pk.
SENSITIVE: list[tuple[str, dict[str, Any], bool]] = [
    (f"{PORTAL}/configuration/auth-settings", form_data(token_ttl_seconds=600), True),
    (f"{PORTAL}/users", NEW_ADMIN, True),
    *[(f"{PORTAL}/users/bob/{action}", {}, True) for action in ACTIONS],
    (f"{PORTAL}/api-keys/new", {"name": "Minted", "admin_scope": "on"}, True),
    (f"{PORTAL}/api-keys/KEY/revoke", {}, True),
    ("/account/passkeys/MINE/rename", {"label": "Renamed"}, True),
    ("/account/passkeys/MINE/delete", {}, True),
    ("/account/recovery-codes", {}, True),
    ("/account/totp/setup", {"code": "000000"}, False),  # a wrong code: still stepped up
    ("/account/totp/turn-off", {}, False),  # there is no app to remove
    ("/account/passkeys/revoke-others", {}, False),  # only right after a recovery
]
IDS = [path for path, _, _ in SENSITIVE]


def at(world: World, path: str) -> str:
    return path.replace("MINE", str(world.my_passkey.pk)).replace("KEY", str(world.key.pk))


@pytest.mark.parametrize("path,form,changes", SENSITIVE, ids=IDS)
def test_a_stale_session_is_sent_to_re_confirm_and_changes_nothing(
    world: World, path: str, form: dict[str, Any], changes: bool
) -> None:
    browser = make_stale(world.browser)
    before = state(world.org)
    response = browser.post(at(world, path), form)
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith("/login/confirm?next=")
    assert state(world.org) == before


@pytest.mark.parametrize("path,form,changes", SENSITIVE, ids=IDS)
def test_a_fresh_session_gets_through(
    world: World, path: str, form: dict[str, Any], changes: bool
) -> None:
    before = state(world.org)
    response = world.browser.post(at(world, path), form)
    assert response.status_code in (200, 302, 400), response.content[:300]
    assert not response.get("Location", "").startswith("/login/confirm")
    assert (state(world.org) != before) is changes


def test_a_stale_security_page_offers_no_registration_until_re_confirmed(world: World) -> None:
    browser = make_stale(world.browser)
    before = state(world.org)
    page = browser.get("/account/security").content.decode()
    assert 'id="passkey-options"' not in page
    assert state(world.org) == before  # no challenge stored for it
    browser.post("/login/confirm", {"password": "a-Long-passphrase-1"})
    assert 'id="passkey-options"' in browser.get("/account/security").content.decode()
