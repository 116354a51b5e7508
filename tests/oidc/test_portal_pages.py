"""Portal → Apps: register, list, edit, disable and rotate, through the one client service."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from auth_methods.models import AuditEvent
from auth_methods.sessions import AUTH_AT
from oidc.models import Client as OidcClient
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import make_user, signed_in

pytestmark = pytest.mark.django_db
NEW = {
    "name": "Shop",
    "redirect_uris": "https://shop.example/cb\nhttps://shop.example/cb2",
    "post_logout_redirect_uris": "",
    "scopes": ["openid", "email"],
    "id_token_alg": "ES256",
}


@pytest.fixture
def admin_browser(acme: Organisation) -> Client:
    return signed_in(acme, make_user(acme, "admin@acme.test", "admin"))


def stored(org: Organisation) -> list[OidcClient]:
    with with_org(org):
        return list(OidcClient.objects.all())


def test_an_admin_registers_an_app_and_sees_its_secret_once(admin_browser: Client) -> None:
    page = admin_browser.post("/orgs/acme/portal/apps/new", NEW)
    assert page.status_code == 200
    secret = re.search(r'id="new-secret">([^<]+)<', page.content.decode())
    assert secret is not None
    [client] = stored(Organisation.objects.get(slug="acme"))
    assert client.redirect_uris == ["https://shop.example/cb", "https://shop.example/cb2"]
    assert client.scopes == ["openid", "email"] and client.check_client_secret(secret[1])
    listing = admin_browser.get("/orgs/acme/portal/apps").content.decode()
    assert client.client_id in listing and secret[1] not in listing


def test_a_bad_redirect_uri_is_shown_on_its_field(
    admin_browser: Client, acme: Organisation
) -> None:
    page = admin_browser.post(
        "/orgs/acme/portal/apps/new", {**NEW, "redirect_uris": "http://shop.example/cb"}
    )
    assert page.status_code == 400 and b"use https" in page.content
    assert stored(acme) == []


def test_an_admin_disables_an_app_and_rotates_its_secret(
    admin_browser: Client, acme: Organisation
) -> None:
    admin_browser.post("/orgs/acme/portal/apps/new", NEW)
    [client] = stored(acme)
    edit = admin_browser.post(
        f"/orgs/acme/portal/apps/{client.client_id}",
        {**NEW, "name": "Shop 2", "third_party": "on"},  # "active" unticked: disabled
    )
    assert edit.status_code == 302
    [client] = stored(acme)
    assert client.name == "Shop 2" and client.third_party and not client.active
    page = admin_browser.post(f"/orgs/acme/portal/apps/{client.client_id}/secret")
    secret = re.search(r'id="new-secret">([^<]+)<', page.content.decode())
    assert secret is not None
    [client] = stored(acme)
    assert client.check_client_secret(secret[1])
    with with_org(acme):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"oidc_client.create", "oidc_client.update", "oidc_client.rotate_secret"} <= actions


def test_changes_need_a_recent_sign_in(admin_browser: Client, acme: Organisation) -> None:
    session = admin_browser.session
    session[AUTH_AT] = int(time.time()) - 3600
    session.save()
    response = admin_browser.post("/orgs/acme/portal/apps/new", NEW)
    assert response.status_code == 302 and response["Location"].startswith("/login/confirm")
    assert stored(acme) == []
    assert admin_browser.get("/orgs/acme/portal/apps").status_code == 200  # reading is fine


def test_members_and_other_orgs_see_nothing(acme: Organisation, globex: Organisation) -> None:
    member = signed_in(acme, make_user(acme, "member@acme.test"))
    assert member.get("/orgs/acme/portal/apps").status_code == 403
    assert member.post("/orgs/acme/portal/apps/new", NEW).status_code == 403
    assert Client(HTTP_HOST="acme.localhost").get("/orgs/globex/portal/apps").status_code == 404
    assert stored(acme) == []
