"""Portal audit log: filters, newest first, 50 a page, CSV export of the same filter."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from auth_methods.audit import SYSTEM, Actor, audit_record
from auth_methods.models import AuditEvent, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import make_user

pytestmark = pytest.mark.django_db

BASE = "/orgs/acme/portal"
URL = f"{BASE}/audit"
DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def bob(acme: Organisation) -> User:
    return make_user(acme, "bob@acme.test", external_id="crm-bob")


def record(
    org: Organisation,
    action: str,
    *,
    when: datetime = DAY,
    actor: Actor = SYSTEM,
    subject: User | None = None,
    outcome: str = "success",
    code: str = "",
    credential_id: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """One event at a chosen time (created_at is auto_now_add, so set it afterwards)."""
    with with_org(org):
        event = audit_record(
            actor=actor,
            action=action,
            subject=subject,
            outcome=outcome,
            code=code,
            credential_id=credential_id,
            data=data,
        )
        AuditEvent.objects.filter(pk=event.pk).update(created_at=when)
        return event.pk


def shown(page: str) -> list[int]:
    return [int(part.split('"')[0]) for part in page.split('data-event="')[1:]]


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# -- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?format=csv"])
def test_anonymous_visitors_are_sent_to_sign_in(acme: Organisation, query: str) -> None:
    response = Client(HTTP_HOST="acme.localhost").get(URL + query)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("query", ["", "?format=csv"])
def test_members_are_forbidden(member_client: Client, query: str) -> None:
    assert member_client.get(URL + query).status_code == 403


@pytest.mark.parametrize("query", ["", "?format=csv"])
def test_another_orgs_admin_session_is_not_signed_in_here(
    other_org_admin_client: Client, query: str
) -> None:
    response = other_org_admin_client.get(URL + query)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("query", ["", "?format=csv"])
def test_admins_get_the_page(admin_client: Client, query: str) -> None:
    assert admin_client.get(URL + query).status_code == 200


@pytest.mark.parametrize("query", ["", "?format=csv"])
def test_another_orgs_slug_on_this_host_is_not_found(admin_client: Client, query: str) -> None:
    assert admin_client.get("/orgs/globex/portal/audit" + query).status_code == 404


def test_the_log_is_read_only(acme: Organisation, admin_client: Client) -> None:
    assert admin_client.post(URL).status_code == 405


def test_events_of_another_org_never_show(globex: Organisation, admin_client: Client) -> None:
    record(globex, "globex.secret")
    assert "globex.secret" not in admin_client.get(URL).content.decode()


# -- page --------------------------------------------------------------------------------


def test_events_are_newest_first_with_who_what_when_and_where(
    acme: Organisation, admin: User, admin_client: Client, bob: User
) -> None:
    actor = Actor(user=admin, ip="203.0.113.9", user_agent="Firefox/140")
    old = record(acme, "user.update", actor=actor, subject=bob, when=DAY)
    new = record(acme, "passkey.remove_all", actor=actor, subject=bob, when=DAY + timedelta(1))
    page = admin_client.get(URL, {"user": "crm-bob"}).content.decode()
    assert shown(page) == [new, old]
    row = page.split(f'data-event="{new}"')[1].split("</tr>")[0]
    assert "admin@acme.test" in row and "bob@acme.test" in row and "203.0.113.9" in row
    assert "Firefox/140" in row and "2026-03-11 12:00:00" in row


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"action": "passkey.delete"}, {"delete-bob", "delete-failed"}),
        ({"outcome": "failure"}, {"delete-failed"}),
        ({"user": "BOB@acme.test"}, {"delete-bob", "delete-failed", "bob-acts"}),
        ({"user": "crm-bob"}, {"delete-bob", "delete-failed", "bob-acts"}),
        ({"user": "api_key:abc"}, {"by-key"}),
        ({"date_from": "2026-03-11"}, {"by-key", "bob-acts"}),
        ({"date_to": "2026-03-10"}, {"delete-bob", "delete-failed", "early"}),
        ({"date_from": "2026-03-11", "date_to": "2026-03-11"}, {"by-key"}),
        ({"action": "passkey.delete", "outcome": "success", "user": "crm-bob"}, {"delete-bob"}),
    ],
)
def test_filters(
    acme: Organisation,
    admin_client: Client,
    bob: User,
    params: dict[str, str],
    expected: set[str],
) -> None:
    events = {
        "delete-bob": record(acme, "passkey.delete", subject=bob),
        "delete-failed": record(
            acme, "passkey.delete", subject=bob, outcome="failure", code="last_factor"
        ),
        "early": record(acme, "user.update", when=DAY - timedelta(days=3)),
        "by-key": record(
            acme, "user.update", actor=Actor(label="api_key:abc"), when=DAY + timedelta(1)
        ),
        "bob-acts": record(
            acme, "password.sign_in", actor=Actor(user=bob), when=DAY + timedelta(2)
        ),
    }
    names = {pk: name for name, pk in events.items()}
    page = admin_client.get(URL, params).content.decode()
    assert {names[pk] for pk in shown(page) if pk in names} == expected
    exported = csv_rows(admin_client.get(URL, {**params, "format": "csv"}))[1:]
    on_page = [cell.split("<")[0] for cell in page.split("<td><code>")[1:]]  # action column
    assert [row[1] for row in exported] == on_page


@pytest.mark.parametrize(
    "params,field",
    [
        ({"date_from": "2026-03-12", "date_to": "2026-03-11"}, "date_to"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
def test_bad_filters_are_reported_on_their_field(
    admin_client: Client, params: dict[str, str], field: str
) -> None:
    response = admin_client.get(URL, params)
    page = response.content.decode()
    assert response.status_code == 400 and f'id="id_{field}_error"' in page
    assert 'aria-invalid="true"' in page and "data-event=" not in page
    assert admin_client.get(URL, {**params, "format": "csv"}).status_code == 400


def test_the_action_filter_offers_the_recorded_actions(
    acme: Organisation, admin_client: Client
) -> None:
    record(acme, "second_factor.wipe")
    page = admin_client.get(URL).content.decode()
    assert '<option value="second_factor.wipe">' in page


def test_the_log_has_50_events_a_page(acme: Organisation, admin_client: Client) -> None:
    with with_org(acme):
        AuditEvent.objects.bulk_create(
            AuditEvent(action="bulk.event", outcome="success", data={"n": n}) for n in range(60)
        )
        newest = AuditEvent.objects.filter(action="bulk.event").order_by("-id")[0].pk
    first = admin_client.get(URL, {"action": "bulk.event"}).content.decode()
    second = admin_client.get(URL, {"action": "bulk.event", "page": "2"}).content.decode()
    assert len(shown(first)) == 50 and len(shown(second)) == 10
    assert shown(first)[0] == newest and not set(shown(first)) & set(shown(second))
    assert "?action=bulk.event&amp;page=2" in first and "Page 1 of 2" in first


# -- CSV ---------------------------------------------------------------------------------


def test_the_csv_export_has_a_header_and_one_row_per_event(
    acme: Organisation, admin: User, admin_client: Client, bob: User
) -> None:
    actor = Actor(user=admin, ip="198.51.100.7", user_agent='=HYPERLINK("http://evil")')
    record(
        acme,
        "passkey.delete",
        actor=actor,
        subject=bob,
        outcome="failure",
        code="last_factor",
        credential_id="Y3JlZA",
        data={"label": "Phone", "n": 2},
    )
    response = admin_client.get(URL, {"user": "crm-bob", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-acme-')
    header, *rows = csv_rows(response)
    assert header == [
        "time",
        "action",
        "outcome",
        "code",
        "actor",
        "subject",
        "credential",
        "ip",
        "user_agent",
        "data",
    ]
    assert rows == [
        [
            "2026-03-10T12:00:00+00:00",
            "passkey.delete",
            "failure",
            "last_factor",
            "admin@acme.test",
            "bob@acme.test",
            "Y3JlZA",
            "198.51.100.7",
            '\'=HYPERLINK("http://evil")',  # a spreadsheet must not run it as a formula
            json.dumps({"label": "Phone", "n": 2}, sort_keys=True),
        ]
    ]
    assert json.loads(rows[0][9]) == {"label": "Phone", "n": 2}


def test_the_csv_export_is_newest_first_and_not_paginated(
    acme: Organisation, admin_client: Client
) -> None:
    with with_org(acme):
        AuditEvent.objects.bulk_create(
            AuditEvent(action="bulk.event", outcome="success", data={"n": n}) for n in range(60)
        )
    rows = csv_rows(admin_client.get(URL, {"action": "bulk.event", "format": "csv", "page": "2"}))
    numbers = [json.loads(row[9])["n"] for row in rows[1:]]
    assert numbers == list(range(59, -1, -1))
