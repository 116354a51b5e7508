"""/api/v1/users/<external id>: an admin key reads, changes and resets an org's users."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from auth_methods.models import AuditEvent, Passkey, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import Api
from tests.support.authenticator import SoftAuthenticator
from tests.support.db import assert_problem, snapshot

pytestmark = pytest.mark.django_db

USER_KEYS = {
    "id",
    "name",
    "display_name",
    "active",
    "passkey_enrolment_required",
    "passkey_count",
    "totp_enabled",
    "created_at",
}


@pytest.fixture
def alice(api: Api) -> str:
    """User u1 of acme with one passkey (api.authenticator holds it)."""
    response = api.register("u1", "alice@acme.test")
    assert response.status_code == 201, response.content
    return "u1"


def user_row(org: Organisation, external_id: str) -> User:
    with with_org(org):
        return User.objects.get(external_id=external_id)


def user_state(org: Organisation, external_id: str) -> tuple[Any, ...]:
    with with_org(org):
        return tuple(
            User.objects.filter(external_id=external_id).values_list(
                "email", "display_name", "is_active", "passkey_enrolment_required"
            )
        )


def user_events(org: Organisation, action: str, outcome: str = "success") -> list[AuditEvent]:
    with with_org(org):
        return list(
            AuditEvent.objects.filter(action=action, outcome=outcome)
            .select_related("subject")
            .order_by("id")
        )


def patch(api: Api, external_id: str, body: Any) -> Any:
    return api.client.patch(f"/api/v1/users/{external_id}", body, format="json")


# --- read ---------------------------------------------------------------------------------


def test_it_answers_the_contract_shape(api: Api, alice: str) -> None:
    response = api.client.get(f"/api/v1/users/{alice}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"user"}
    user = body["user"]
    assert set(user) == USER_KEYS
    assert {k: v for k, v in user.items() if k != "created_at"} == {
        "id": "u1",
        "name": "alice@acme.test",
        "display_name": "Alice",
        "active": True,
        "passkey_enrolment_required": False,
        "passkey_count": 1,
        "totp_enabled": False,
    }
    assert isinstance(user["created_at"], str) and user["created_at"]


def test_it_answers_not_found_for_an_unknown_user(api: Api, alice: str) -> None:
    assert_problem(api.client.get("/api/v1/users/nobody"), 404, "not_found")


# --- change -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "column", "stored"),
    [
        ({"active": False}, "active", "is_active", False),
        ({"passkey_enrolment_required": True}, "passkey_enrolment_required", None, True),
        ({"display_name": "  Alice Liddell "}, "display_name", None, "Alice Liddell"),
    ],
    ids=["active", "enrolment", "display_name"],
)
def test_it_changes_a_user_and_audits_it(
    api: Api,
    acme: Organisation,
    alice: str,
    change: dict[str, Any],
    field: str,
    column: str | None,
    stored: Any,
) -> None:
    old = api.client.get(f"/api/v1/users/{alice}").json()["user"][field]
    response = patch(api, alice, change)
    assert response.status_code == 200, response.content
    assert response.json()["user"][field] == stored
    assert api.client.get(f"/api/v1/users/{alice}").json()["user"][field] == stored
    assert getattr(user_row(acme, alice), column or field) == stored
    [event] = user_events(acme, "user.update")
    assert event.subject is not None and event.subject.external_id == alice
    assert event.data == {"before": {field: old}, "after": {field: stored}}
    assert event.actor_label == f"api_key:{api.secret.split('_')[1]}"


def test_it_changes_several_fields_at_once(api: Api, acme: Organisation, alice: str) -> None:
    response = patch(api, alice, {"active": False, "display_name": "A"})
    assert response.status_code == 200, response.content
    assert user_state(acme, alice) == (("alice@acme.test", "A", False, False),)


def test_a_disabled_user_can_no_longer_sign_in(api: Api, alice: str) -> None:
    assert patch(api, alice, {"active": False}).status_code == 200
    assert_problem(api.sign_in(alice), 403, "user_inactive")
    assert patch(api, alice, {"active": True}).status_code == 200
    assert api.sign_in(alice).status_code == 200


BAD_CHANGES: list[tuple[Any, str | None]] = [
    ({"email": "mallory@acme.test"}, "email"),
    ({"role": "admin"}, "role"),
    ({"id": "u2"}, "id"),
    ({"passkey_count": 0}, "passkey_count"),
    ({"display_name": "Bob", "is_staff": True}, "is_staff"),
    ({"active": "maybe"}, "active"),
    ({"active": None}, "active"),
    ({"active": [True]}, "active"),
    ({"passkey_enrolment_required": "sometimes"}, "passkey_enrolment_required"),
    ({"display_name": ["Bob"]}, "display_name"),
    ({"display_name": {"first": "Bob"}}, "display_name"),
    ({"display_name": None}, "display_name"),
    ({"display_name": "x" * 201}, "display_name"),
    ({"display_name": "Bob", "active": "maybe"}, "active"),
    ([{"active": False}], None),
]


@pytest.mark.parametrize(
    ("body", "field"), BAD_CHANGES, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_CHANGES)]
)
def test_it_refuses_a_bad_change_and_changes_nothing(
    api: Api, acme: Organisation, alice: str, body: Any, field: str | None
) -> None:
    before, before_user = snapshot(acme), user_state(acme, alice)
    problem = assert_problem(patch(api, alice, body), 400, "invalid_request")
    if field is not None:
        assert field in problem["detail"], problem
    assert snapshot(acme) == before
    assert user_state(acme, alice) == before_user
    assert user_events(acme, "user.update") == []


@pytest.mark.parametrize(
    "body",
    [
        {"active": "false"},
        {"active": 0},
        {"passkey_enrolment_required": "yes"},
        {"display_name": 42},
    ],
    ids=["active-string", "active-int", "enrolment-string", "display_name-int"],
)
def test_it_refuses_a_mistyped_value_that_drf_would_coerce(
    api: Api, acme: Organisation, alice: str, body: dict[str, Any]
) -> None:
    before = user_state(acme, alice)
    assert_problem(patch(api, alice, body), 400, "invalid_request")
    assert user_state(acme, alice) == before


def test_it_answers_not_found_when_changing_an_unknown_user(api: Api, acme: Organisation) -> None:
    before = snapshot(acme)
    assert_problem(patch(api, "nobody", {"active": False}), 404, "not_found")
    assert snapshot(acme) == before


# --- reset passkeys -----------------------------------------------------------------------


def test_it_removes_all_of_a_users_passkeys(api: Api, acme: Organisation, alice: str) -> None:
    assert (
        api.register(alice, "alice@acme.test", authenticator=SoftAuthenticator()).status_code == 201
    )
    assert api.register("u2", "bob@acme.test", authenticator=SoftAuthenticator()).status_code == 201
    response = api.client.delete(f"/api/v1/users/{alice}/passkeys")
    assert response.status_code == 204
    assert response.content == b""
    with with_org(acme):
        assert not Passkey.objects.filter(user__external_id=alice).exists()
        assert Passkey.objects.filter(user__external_id="u2").count() == 1
        assert User.objects.filter(external_id=alice).exists()  # the user stays
    assert api.client.get(f"/api/v1/users/{alice}").json()["user"]["passkey_count"] == 0
    [event] = user_events(acme, "passkey.remove_all")
    assert event.subject is not None and event.subject.external_id == alice
    assert event.data == {"removed": 2}
    assert_problem(api.sign_in(alice), 400, "credential_unknown")


def test_it_answers_not_found_when_resetting_an_unknown_user(
    api: Api, acme: Organisation, alice: str
) -> None:
    before = snapshot(acme)
    assert_problem(api.client.delete("/api/v1/users/nobody/passkeys"), 404, "not_found")
    assert snapshot(acme) == before


# --- who may ------------------------------------------------------------------------------


def test_it_forbids_a_key_without_the_admin_scope(
    plain_api: Api, acme: Organisation, alice: str
) -> None:
    before = snapshot(acme)
    assert_problem(plain_api.client.get(f"/api/v1/users/{alice}"), 403, "forbidden")
    assert_problem(patch(plain_api, alice, {"active": False}), 403, "forbidden")
    assert_problem(plain_api.client.delete(f"/api/v1/users/{alice}/passkeys"), 403, "forbidden")
    assert snapshot(acme) == before


def test_it_refuses_a_call_without_a_key(acme: Organisation, alice: str) -> None:
    before = snapshot(acme)
    anonymous = APIClient(HTTP_HOST="acme.localhost")
    assert_problem(anonymous.get(f"/api/v1/users/{alice}"), 401, "unauthenticated")
    assert_problem(
        anonymous.patch(f"/api/v1/users/{alice}", {"active": False}, format="json"),
        401,
        "unauthenticated",
    )
    assert_problem(anonymous.delete(f"/api/v1/users/{alice}/passkeys"), 401, "unauthenticated")
    assert snapshot(acme) == before


def test_a_user_of_another_org_is_not_found(
    api: Api, globex_api: Api, acme: Organisation, globex: Organisation
) -> None:
    assert globex_api.register("g1", "g@globex.test").status_code == 201
    before_acme, before_globex = snapshot(acme), snapshot(globex)
    assert_problem(api.client.get("/api/v1/users/g1"), 404, "not_found")
    assert_problem(patch(api, "g1", {"active": False}), 404, "not_found")
    assert_problem(api.client.delete("/api/v1/users/g1/passkeys"), 404, "not_found")
    assert snapshot(acme) == before_acme
    assert snapshot(globex) == before_globex
    assert user_state(globex, "g1") == (("g@globex.test", "Alice", True, False),)


def test_a_key_of_another_org_is_unauthenticated(
    globex_api: Api, acme: Organisation, alice: str
) -> None:
    before = snapshot(acme)
    intruder = APIClient(HTTP_HOST="acme.localhost")
    intruder.credentials(HTTP_AUTHORIZATION=f"Bearer {globex_api.secret}")
    assert_problem(intruder.get(f"/api/v1/users/{alice}"), 401, "unauthenticated")
    assert_problem(intruder.delete(f"/api/v1/users/{alice}/passkeys"), 401, "unauthenticated")
    assert snapshot(acme) == before
