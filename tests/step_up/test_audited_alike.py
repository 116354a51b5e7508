"""Every admin action is audited the same whichever door it came through: the services
write the events, the doors only say who is acting."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from auth_methods.models import AuditEvent
from tenants.context import with_org
from tenants.models import Organisation
from tests.step_up.conftest import World

pytestmark = pytest.mark.django_db


def events(org: Organisation, action: str) -> list[tuple[str, dict[str, Any]]]:
    with with_org(org):
        return [
            (e.actor_label, e.data)
            for e in AuditEvent.objects.filter(action=action, outcome="success").order_by("id")
        ]


def test_api_keys_made_by_the_cli_and_the_portal_leave_the_same_event(world: World) -> None:
    out = io.StringIO()
    call_command("create_api_key", "acme", "--name", "ci", "--scope", "admin", stdout=out)
    cli_secret = out.getvalue().splitlines()[-1]
    page = world.browser.post(
        "/orgs/acme/portal/api-keys/new", {"name": "ci", "admin_scope": "on"}
    ).content.decode()
    portal_secret = page.split('id="new-secret">')[1].split("<")[0]
    made = [e for e in events(world.org, "api_key.create") if e[1]["name"] == "ci"]
    assert [label for label, _ in made] == ["cli", world.admin.email]
    (_, by_cli), (_, by_portal) = made
    assert by_cli.keys() == by_portal.keys() == {"key", "name", "scopes"}
    assert by_cli["scopes"] == by_portal["scopes"] == ["admin"]
    assert cli_secret not in json.dumps(by_cli) and portal_secret not in json.dumps(by_portal)


def test_disabling_a_user_from_the_portal_or_the_api_leaves_the_same_event(world: World) -> None:
    world.browser.post("/orgs/acme/portal/users/bob/disable")
    world.browser.post("/orgs/acme/portal/users/bob/enable")
    body = json.dumps({"active": False})
    world.browser.patch("/api/v1/users/bob", body, content_type="application/json")
    world.api.client.patch("/api/v1/users/bob", {"active": True}, format="json")
    assert events(world.org, "user.update") == [
        (world.admin.email, {"before": {"active": True}, "after": {"active": False}}),
        (world.admin.email, {"before": {"active": False}, "after": {"active": True}}),
        (world.admin.email, {"before": {"active": True}, "after": {"active": False}}),
        (
            f"api_key:{world.api.secret.split('_')[1]}",
            {"before": {"active": False}, "after": {"active": True}},
        ),
    ]


def test_removing_a_users_passkeys_from_the_portal_or_the_api_leaves_the_same_event(
    world: World,
) -> None:
    world.browser.post("/orgs/acme/portal/users/bob/remove-passkeys")
    world.api.client.delete("/api/v1/users/bob/passkeys")
    assert [data for _, data in events(world.org, "passkey.remove_all")] == [
        {"removed": 1},
        {"removed": 0},
    ]
