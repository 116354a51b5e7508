"""/api/v1/oidc-clients: the admin API over the one client service; audited, secrets once."""

from __future__ import annotations

from typing import Any

import pytest

from auth_methods.models import AuditEvent
from oidc.models import Client, digest
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import Api
from tests.support.db import assert_problem

pytestmark = pytest.mark.django_db
BODY = {"name": "Shop", "redirect_uris": ["https://shop.example/cb"]}


def clients_in(org: Organisation) -> list[Client]:
    with with_org(org):
        return list(Client.objects.all())


def test_an_admin_key_creates_a_client_and_sees_its_secret_once(api: Api) -> None:
    response = api.post("/api/v1/oidc-clients", BODY)
    assert response.status_code == 201, response.json()
    body = response.json()
    secret, client = body["client_secret"], body["client"]
    assert secret and client["name"] == "Shop" and client["public"] is False
    assert client["scopes"] == ["openid", "profile", "email", "offline_access"]
    [stored] = clients_in(api.org)
    assert stored.secret_digest == digest(secret) and secret not in str(stored.__dict__)
    listed = api.client.get("/api/v1/oidc-clients").json()["results"]
    assert [c["client_id"] for c in listed] == [client["client_id"]]
    assert "secret" not in str(listed)
    with with_org(api.org):
        event = AuditEvent.objects.get(action="oidc_client.create")
        assert secret not in str(event.data)


def test_a_public_client_has_no_secret(api: Api) -> None:
    body = api.post("/api/v1/oidc-clients", {**BODY, "public": True}).json()
    assert body["client_secret"] is None and body["client"]["public"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": ["http://shop.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["https://shop.example/cb#frag"]}, "redirect_uris"),
        ({"redirect_uris": ["/relative"]}, "redirect_uris"),
        ({"redirect_uris": ["https://user:pw@shop.example/cb"]}, "redirect_uris"),
        ({"scopes": ["profile"]}, "scopes"),
        ({"scopes": ["openid", "admin"]}, "scopes"),
        ({"id_token_alg": "HS256"}, "id_token_alg"),
        ({"name": ""}, "name"),
        ({"secret_digest": "x"}, "secret_digest"),
    ],
)
def test_bad_client_settings_are_refused_and_nothing_is_made(
    api: Api, change: dict[str, Any], field: str
) -> None:
    response = api.post("/api/v1/oidc-clients", {**BODY, **change})
    assert_problem(response, 400, "invalid_request")
    assert field in response.json()["detail"]
    assert clients_in(api.org) == []


def test_http_redirects_are_allowed_for_local_development(api: Api) -> None:
    body = {**BODY, "redirect_uris": ["http://localhost:3000/cb", "http://app.localhost/cb"]}
    assert api.post("/api/v1/oidc-clients", body).status_code == 201


def test_patch_edits_disables_and_is_audited(api: Api) -> None:
    client_id = api.post("/api/v1/oidc-clients", BODY).json()["client"]["client_id"]
    response = api.client.patch(
        f"/api/v1/oidc-clients/{client_id}",
        {"third_party": True, "active": False, "id_token_alg": "RS256"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    client = response.json()["client"]
    assert client["third_party"] is True and client["active"] is False
    keys = api.client.get("/.well-known/jwks.json").json()["keys"]
    assert "RS256" in {k["alg"] for k in keys}  # published before any RS256 ID token
    with with_org(api.org):
        event = AuditEvent.objects.get(action="oidc_client.update")
        assert event.data["changes"]["active"] == [True, False]


def test_rotating_the_secret_shows_a_new_one_once(api: Api) -> None:
    made = api.post("/api/v1/oidc-clients", BODY).json()
    client_id = made["client"]["client_id"]
    rotated = api.post(f"/api/v1/oidc-clients/{client_id}/secret").json()
    assert rotated["client_secret"] and rotated["client_secret"] != made["client_secret"]
    [stored] = clients_in(api.org)
    assert stored.check_client_secret(rotated["client_secret"])
    assert not stored.check_client_secret(made["client_secret"])


def test_only_admins_of_this_org(api: Api, plain_api: Api, globex_api: Api) -> None:
    client_id = api.post("/api/v1/oidc-clients", BODY).json()["client"]["client_id"]
    assert_problem(plain_api.post("/api/v1/oidc-clients", BODY), 403, "forbidden")
    assert_problem(globex_api.client.get(f"/api/v1/oidc-clients/{client_id}"), 404, "not_found")
    assert_problem(globex_api.post(f"/api/v1/oidc-clients/{client_id}/secret"), 404, "not_found")
