"""Portal API keys page: list, create (secret shown once), revoke; step-up for changes."""

from __future__ import annotations

import hashlib
import time

import pytest
from django.test import Client

from auth_methods.api_keys import api_key_authenticate, api_key_create
from auth_methods.audit import CLI
from auth_methods.models import ApiKey, AuditEvent, User
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

BASE = "/orgs/acme/portal"


@pytest.fixture
def key(acme: Organisation) -> ApiKey:
    with with_org(acme):
        return api_key_create(actor=CLI, name="Billing backend", scopes=["admin"]).key


def keys(org: Organisation) -> list[tuple[str, bool]]:
    with with_org(org):
        return sorted((k.name, k.revoked_at is not None) for k in ApiKey.objects.all())


def key_events(org: Organisation) -> list[AuditEvent]:
    """Events written through the portal (the fixture's key is made, audited, by the CLI)."""
    with with_org(org):
        return list(
            AuditEvent.objects.filter(action__startswith="api_key.")
            .exclude(actor_label="cli")
            .select_related("actor")
            .order_by("id")
        )


def stale(client: Client) -> Client:
    session = client.session
    session["passgate_auth_at"] = int(time.time()) - 601
    session.save()
    return client


# -- access ------------------------------------------------------------------------------

PAGES = [
    ("get", "/api-keys", {}),
    ("get", "/api-keys/new", {}),
    ("post", "/api-keys/new", {"name": "Made here"}),
    ("get", "/api-keys/KEY/revoke", {}),
    ("post", "/api-keys/KEY/revoke", {}),
]


def at(path: str, key: ApiKey) -> str:
    return BASE + path.replace("KEY", str(key.pk))


def untouched(org: Organisation) -> bool:
    return keys(org) == [("Billing backend", False)] and not key_events(org)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(
    acme: Organisation, key: ApiKey, method: str, path: str, data: dict[str, str]
) -> None:
    response = getattr(Client(HTTP_HOST="acme.localhost"), method)(at(path, key), data)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert untouched(acme)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_members_are_forbidden(
    acme: Organisation,
    member_client: Client,
    key: ApiKey,
    method: str,
    path: str,
    data: dict[str, str],
) -> None:
    assert getattr(member_client, method)(at(path, key), data).status_code == 403
    assert untouched(acme)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_another_orgs_admin_session_is_not_signed_in_here(
    acme: Organisation,
    other_org_admin_client: Client,
    key: ApiKey,
    method: str,
    path: str,
    data: dict[str, str],
) -> None:
    response = getattr(other_org_admin_client, method)(at(path, key), data)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert untouched(acme)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_admins_get_the_page(
    admin_client: Client, key: ApiKey, method: str, path: str, data: dict[str, str]
) -> None:
    expected = 302 if path.endswith("revoke") and method == "post" else 200
    assert getattr(admin_client, method)(at(path, key), data).status_code == expected


@pytest.mark.parametrize("method,path,data", PAGES)
def test_another_orgs_slug_on_this_host_is_not_found(
    acme: Organisation,
    admin_client: Client,
    key: ApiKey,
    method: str,
    path: str,
    data: dict[str, str],
) -> None:
    url = at(path, key).replace("/orgs/acme/", "/orgs/globex/")
    assert getattr(admin_client, method)(url, data).status_code == 404
    assert untouched(acme)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_a_stale_sign_in_must_confirm_first_and_changes_nothing(
    acme: Organisation,
    admin_client: Client,
    key: ApiKey,
    method: str,
    path: str,
    data: dict[str, str],
) -> None:
    response = getattr(stale(admin_client), method)(at(path, key), data)
    if path == "/api-keys":  # reading the list needs no step-up
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/confirm?next=/orgs/acme/portal/api-keys/")
    assert untouched(acme)


@pytest.mark.parametrize("path,data", [(p, d) for m, p, d in PAGES if m == "post"])
def test_every_post_needs_a_csrf_token(
    acme: Organisation, admin_client: Client, key: ApiKey, path: str, data: dict[str, str]
) -> None:
    strict = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    strict.cookies["sessionid"] = admin_client.cookies["sessionid"].value
    assert strict.post(at(path, key), data).status_code == 403
    assert untouched(acme)


# -- pages -------------------------------------------------------------------------------


def test_the_list_shows_name_scope_dates_and_state(
    acme: Organisation, admin_client: Client, key: ApiKey
) -> None:
    with with_org(acme):
        plain = api_key_create(actor=CLI, name="Login widget", scopes=[])
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=key.created_at)
        plain.key.revoked_at = key.created_at
        plain.key.save()
    page = admin_client.get(f"{BASE}/api-keys").content.decode()
    billing = page.split(f'data-key="{key.pk}"')[1].split("</tr>")[0]
    widget = page.split(f'data-key="{plain.key.pk}"')[1].split("</tr>")[0]
    assert "Billing backend" in billing and ">admin<" in billing and "never" not in billing
    assert f"/api-keys/{key.pk}/revoke" in billing
    assert "ceremonies only" in widget and "never" in widget and "revoke" not in widget
    assert key.digest not in page


def test_a_new_key_is_shown_once_and_stored_as_a_digest(
    acme: Organisation, admin: User, admin_client: Client
) -> None:
    response = admin_client.post(f"{BASE}/api-keys/new", {"name": "CI", "admin_scope": "on"})
    page = response.content.decode()
    assert response.status_code == 200 and "Location" not in response
    assert "no-store" in response["Cache-Control"]
    secret = page.split('id="new-secret">')[1].split("<")[0]
    assert secret.startswith("pgk_") and page.count(secret) == 1
    with with_org(acme):
        row = ApiKey.objects.get(name="CI")
        assert row.scopes == ["admin"] and row.created_by == admin
        assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
        assert all(secret not in str(v) for v in row.__dict__.values())
        assert api_key_authenticate(secret) == row
    later = admin_client.get(f"{BASE}/api-keys").content.decode()
    assert secret not in later and "CI" in later
    (event,) = key_events(acme)
    assert (event.action, event.actor) == ("api_key.create", admin)
    assert event.data == {"key": row.lookup, "name": "CI", "scopes": ["admin"]}
    assert secret not in str(event.__dict__)


def test_the_admin_scope_is_opt_in(acme: Organisation, admin_client: Client) -> None:
    assert admin_client.post(f"{BASE}/api-keys/new", {"name": "Widget"}).status_code == 200
    with with_org(acme):
        assert ApiKey.objects.get(name="Widget").scopes == []


def test_a_nameless_key_is_refused_on_its_field(acme: Organisation, admin_client: Client) -> None:
    response = admin_client.post(f"{BASE}/api-keys/new", {"name": "  "})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="id_name_error"' in page
    assert 'aria-invalid="true"' in page and "new-secret" not in page
    assert keys(acme) == [] and not key_events(acme)


def test_revoking_asks_first_then_revokes_and_audits(
    acme: Organisation, admin: User, admin_client: Client, key: ApiKey
) -> None:
    confirm = admin_client.get(f"{BASE}/api-keys/{key.pk}/revoke").content.decode()
    assert "Billing backend" in confirm and 'method="post"' in confirm
    assert untouched(acme)
    response = admin_client.post(f"{BASE}/api-keys/{key.pk}/revoke", follow=True)
    assert "revoked" in response.content.decode()
    assert keys(acme) == [("Billing backend", True)]
    (event,) = key_events(acme)
    assert (event.action, event.actor) == ("api_key.revoke", admin)
    assert event.data == {"key": key.lookup, "name": "Billing backend"}


def test_revoking_twice_records_one_event(
    acme: Organisation, admin_client: Client, key: ApiKey
) -> None:
    admin_client.post(f"{BASE}/api-keys/{key.pk}/revoke")
    response = admin_client.post(f"{BASE}/api-keys/{key.pk}/revoke", follow=True)
    assert "already revoked" in response.content.decode()
    assert len(key_events(acme)) == 1


def test_an_unknown_key_is_not_found(admin_client: Client) -> None:
    assert admin_client.get(f"{BASE}/api-keys/999999/revoke").status_code == 404
    assert admin_client.post(f"{BASE}/api-keys/999999/revoke").status_code == 404


def test_a_key_of_another_org_cannot_be_revoked_here(
    globex: Organisation, admin_client: Client
) -> None:
    with with_org(globex):
        other = api_key_create(actor=CLI, name="Globex key", scopes=[]).key
    admin_client.post(f"{BASE}/api-keys/{other.pk}/revoke")
    assert keys(globex) == [("Globex key", False)]
