"""The portal: every page that changes something sensitive sends a session older than 10
minutes to re-confirm (the services' reauthentication_required, mapped to the re-confirm
redirect) and writes nothing; a fresh session gets through."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from auth_methods.models import User
from portal.views.users import ACTIONS
from tenants.context import with_org
from tests.portal.test_auth_settings_page import form_data
from tests.step_up.conftest import World, state
from tests.support.sessions import fresh_login, make_stale

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
    (
        "/account/password",
        {"new_password": "Chosen-anew-3", "new_password_again": "Chosen-anew-3"},
        True,
    ),
    ("/account/totp/setup", {"code": "000000"}, False),  # a wrong code: still stepped up
    ("/account/totp/turn-off", {}, False),  # there is no app to remove
    ("/account/password/remove", {}, False),  # the admin's only passkey is flagged
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


@pytest.mark.parametrize(
    "referer,back",
    [
        ("http://acme.localhost/account/security?tab=1", "/account/security%3Ftab%3D1"),
        ("http://evil.example/account/security", "/account/recovery-codes"),
        ("", "/account/recovery-codes"),
    ],
)
def test_after_re_confirming_a_form_leads_back_to_its_page_on_this_host(
    world: World, referer: str, back: str
) -> None:
    browser = make_stale(world.browser)
    response = browser.post("/account/recovery-codes", HTTP_REFERER=referer)
    assert response["Location"] == f"/login/confirm?next={back}"


def test_someone_without_a_password_re_confirms_with_a_passkey(world: World) -> None:
    with with_org(world.org):
        bob = User.objects.get(external_id="bob")
    browser = make_stale(fresh_login(Client(HTTP_HOST="acme.localhost"), bob))
    page = browser.get("/login/confirm?next=/account/security").content.decode()
    assert 'data-user="bob"' in page and 'name="password"' not in page
    assert 'id="passkey-options"' in page  # bob's passkeys only
