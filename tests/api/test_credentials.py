"""/webauthn/credentials: an integrator lists, renames, clears a flag and deletes passkeys."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from auth_methods.models import AuditEvent, Passkey, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import Api
from tests.support.authenticator import SoftAuthenticator, b64url, b64url_decode
from tests.support.db import assert_problem, snapshot
from tests.support.sessions import fresh_login

pytestmark = pytest.mark.django_db

PASSKEY_KEYS = {
    "id",
    "label",
    "aaguid",
    "authenticator_name",
    "transports",
    "attachment",
    "backup_eligible",
    "backed_up",
    "user_verified",
    "sign_count",
    "created_at",
    "last_used_at",
    "flagged",
}


def registered(api: Api, user_id: str = "u1", name: str = "alice@acme.test") -> str:
    """Register a passkey for ``user_id`` with a fresh authenticator; its credential id."""
    response = api.register(user_id, name, authenticator=SoftAuthenticator())
    assert response.status_code == 201, response.content
    credential_id: str = response.json()["passkey"]["id"]
    return credential_id


def stored(org: Organisation, credential_id: str) -> Passkey | None:
    with with_org(org):
        found: Passkey | None = Passkey.objects.filter(
            credential_id=b64url_decode(credential_id)
        ).first()
        return found


def flag(org: Organisation, credential_id: str) -> None:
    with with_org(org):
        Passkey.objects.filter(credential_id=b64url_decode(credential_id)).update(flagged=True)


def url(credential_id: str) -> str:
    return f"/webauthn/credentials/{credential_id}"


def patch(api: Api, credential_id: str, body: Any) -> Any:
    return api.client.patch(url(credential_id), body, format="json")


# --- list -----------------------------------------------------------------------------------


def test_it_lists_a_users_passkeys_in_the_contract_shape(api: Api) -> None:
    first = registered(api, "u1")
    second = registered(api, "u1")
    registered(api, "u2", "bob@acme.test")
    response = api.client.get("/webauthn/credentials", {"user_id": "u1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"results"}
    assert [p["id"] for p in body["results"]] == [first, second]
    for passkey in body["results"]:
        assert set(passkey) == PASSKEY_KEYS
        assert passkey["label"] == "Key"
        assert passkey["flagged"] is False
        assert passkey["last_used_at"] is None


def test_a_user_without_passkeys_has_an_empty_list(api: Api) -> None:
    options = api.post("/webauthn/register/options", {"user": {"id": "u9", "name": "z@acme.test"}})
    assert options.status_code == 200
    response = api.client.get("/webauthn/credentials", {"user_id": "u9"})
    assert response.status_code == 200 and response.json() == {"results": []}


def test_a_key_without_admin_scope_may_list(api: Api, plain_api: Api) -> None:
    credential_id = registered(api)
    response = plain_api.client.get("/webauthn/credentials", {"user_id": "u1"})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [credential_id]


@pytest.mark.parametrize("query", [{}, {"user_id": ""}], ids=["missing", "empty"])
def test_it_refuses_a_list_without_user_id(api: Api, query: dict[str, str]) -> None:
    registered(api)
    body = assert_problem(api.client.get("/webauthn/credentials", query), 400, "invalid_request")
    assert "user_id" in body["detail"]


def test_it_answers_not_found_for_an_unknown_user(api: Api) -> None:
    assert_problem(api.client.get("/webauthn/credentials", {"user_id": "nobody"}), 404, "not_found")


def test_it_answers_not_found_for_a_user_of_another_org(api: Api, globex_api: Api) -> None:
    registered(globex_api, "g1", "g@globex.test")
    assert_problem(api.client.get("/webauthn/credentials", {"user_id": "g1"}), 404, "not_found")


def test_it_refuses_a_list_without_a_key(api: Api) -> None:
    registered(api)
    anonymous = APIClient(HTTP_HOST="acme.localhost")
    assert_problem(
        anonymous.get("/webauthn/credentials", {"user_id": "u1"}), 401, "unauthenticated"
    )


# --- rename -------------------------------------------------------------------------------


def test_it_renames_a_passkey(api: Api, plain_api: Api, acme: Organisation) -> None:
    credential_id = registered(api)
    response = patch(plain_api, credential_id, {"label": "  Work key  "})
    assert response.status_code == 200, response.content
    passkey = response.json()["passkey"]
    assert set(passkey) == PASSKEY_KEYS
    assert passkey["id"] == credential_id and passkey["label"] == "Work key"
    found = stored(acme, credential_id)
    assert found is not None and found.label == "Work key"
    with with_org(acme):
        event = AuditEvent.objects.filter(action="passkey.rename").get()
    assert event.credential_id == credential_id
    assert event.data == {"before": "Key", "after": "Work key"}


@pytest.mark.parametrize(
    "body",
    [{}, {"label": ""}, {"label": "   "}, {"label": "x" * 101}, {"label": None}, {"label": ["a"]}],
    ids=["empty-body", "blank", "spaces", "too-long", "null", "list"],
)
def test_it_refuses_a_bad_label(api: Api, acme: Organisation, body: dict[str, Any]) -> None:
    credential_id = registered(api)
    before = snapshot(acme)
    assert_problem(patch(api, credential_id, body), 400, "invalid_request")
    assert snapshot(acme) == before


# --- flags --------------------------------------------------------------------------------


def test_a_key_without_admin_scope_may_not_clear_a_flag(
    api: Api, plain_api: Api, acme: Organisation
) -> None:
    credential_id = registered(api)
    flag(acme, credential_id)
    before = snapshot(acme)
    assert_problem(patch(plain_api, credential_id, {"flagged": False}), 403, "forbidden")
    assert snapshot(acme) == before
    found = stored(acme, credential_id)
    assert found is not None and found.flagged is True


def test_a_key_without_admin_scope_may_not_rename_and_clear_at_once(
    api: Api, plain_api: Api, acme: Organisation
) -> None:
    credential_id = registered(api)
    flag(acme, credential_id)
    before = snapshot(acme)
    response = patch(plain_api, credential_id, {"label": "New", "flagged": False})
    assert_problem(response, 403, "forbidden")
    assert snapshot(acme) == before


def test_an_admin_key_clears_a_flag(api: Api, acme: Organisation) -> None:
    credential_id = registered(api)
    flag(acme, credential_id)
    response = patch(api, credential_id, {"flagged": False})
    assert response.status_code == 200, response.content
    assert response.json()["passkey"]["flagged"] is False
    found = stored(acme, credential_id)
    assert found is not None and found.flagged is False and found.flagged_at is None
    with with_org(acme):
        assert AuditEvent.objects.filter(
            action="passkey.clear_flag", credential_id=credential_id
        ).exists()


def test_its_owner_clears_a_flag_from_a_fresh_browser_session(api: Api, acme: Organisation) -> None:
    """The rule lives in the service (the owner or an admin), not in this view."""
    credential_id = registered(api, "m1", "member@acme.test")
    flag(acme, credential_id)
    with with_org(acme):
        member = User.objects.get(external_id="m1")
    browser = APIClient(HTTP_HOST="acme.localhost")
    with with_org(acme):
        fresh_login(browser, member)
    response = browser.patch(url(credential_id), {"flagged": False}, format="json")
    assert response.status_code == 200, response.content
    found = stored(acme, credential_id)
    assert found is not None and found.flagged is False


def test_a_cleared_credential_signs_in_again(api: Api, acme: Organisation) -> None:
    response = api.register()  # with api.authenticator, which sign_in() uses
    assert response.status_code == 201, response.content
    credential_id = response.json()["passkey"]["id"]
    flag(acme, credential_id)
    assert_problem(api.sign_in(), 403, "credential_flagged")
    assert patch(api, credential_id, {"flagged": False}).status_code == 200
    assert api.sign_in().status_code == 200


def test_it_refuses_to_set_a_flag(api: Api, acme: Organisation) -> None:
    credential_id = registered(api)
    before = snapshot(acme)
    body = assert_problem(patch(api, credential_id, {"flagged": True}), 400, "invalid_request")
    assert "flagged" in body["detail"]
    assert snapshot(acme) == before


@pytest.mark.parametrize(
    "body",
    [{"flagged": "false"}, {"flagged": 0}, {"label": 42}],
    ids=["flagged-string", "flagged-int", "label-int"],
)
def test_it_refuses_a_mistyped_value_that_drf_would_coerce(
    api: Api, acme: Organisation, body: dict[str, Any]
) -> None:
    credential_id = registered(api)
    flag(acme, credential_id)
    before = snapshot(acme)
    assert_problem(patch(api, credential_id, body), 400, "invalid_request")
    assert snapshot(acme) == before


# --- ids that are not this org's ----------------------------------------------------------


UNKNOWN_IDS = [b64url(b"\x01" * 32), "A", "AAAAA"]


@pytest.mark.parametrize("credential_id", UNKNOWN_IDS, ids=["unknown", "one-char", "bad-length"])
def test_it_answers_not_found_for_an_unknown_or_malformed_id(
    api: Api, acme: Organisation, credential_id: str
) -> None:
    registered(api)
    before = snapshot(acme)
    assert_problem(patch(api, credential_id, {"label": "x"}), 404, "not_found")
    assert_problem(patch(api, credential_id, {"flagged": False}), 404, "not_found")
    assert_problem(api.client.delete(url(credential_id)), 404, "not_found")
    assert snapshot(acme) == before


def test_an_id_outside_the_base64url_alphabet_is_a_not_found_problem(api: Api) -> None:
    assert_problem(api.client.delete(url("not.base64!")), 404, "not_found")


def test_another_orgs_credential_is_not_found_and_untouched(
    api: Api, globex_api: Api, acme: Organisation, globex: Organisation
) -> None:
    credential_id = registered(globex_api, "g1", "g@globex.test")
    flag(globex, credential_id)
    before_acme, before_globex = snapshot(acme), snapshot(globex)
    assert_problem(patch(api, credential_id, {"label": "Stolen"}), 404, "not_found")
    assert_problem(patch(api, credential_id, {"flagged": False}), 404, "not_found")
    assert_problem(api.client.delete(url(credential_id)), 404, "not_found")
    assert snapshot(acme) == before_acme
    assert snapshot(globex) == before_globex
    found = stored(globex, credential_id)
    assert found is not None and found.label == "Key" and found.flagged is True


# --- delete -------------------------------------------------------------------------------


def test_it_deletes_a_passkey(api: Api, acme: Organisation) -> None:
    credential_id = registered(api)
    kept = registered(api)
    response = api.client.delete(url(credential_id))
    assert response.status_code == 204
    assert response.content == b""
    assert stored(acme, credential_id) is None
    assert stored(acme, kept) is not None
    listed = api.client.get("/webauthn/credentials", {"user_id": "u1"}).json()["results"]
    assert [p["id"] for p in listed] == [kept]
    with with_org(acme):
        assert AuditEvent.objects.filter(
            action="passkey.delete", credential_id=credential_id
        ).exists()
    assert_problem(api.client.delete(url(credential_id)), 404, "not_found")


def test_it_refuses_a_delete_without_a_key(api: Api, acme: Organisation) -> None:
    credential_id = registered(api)
    before = snapshot(acme)
    anonymous = APIClient(HTTP_HOST="acme.localhost")
    assert_problem(anonymous.delete(url(credential_id)), 401, "unauthenticated")
    assert snapshot(acme) == before
