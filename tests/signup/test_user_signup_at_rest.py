"""A self sign-up leaves no usable link at rest: a dump of the org's tables, grepped for the
token, finds it nowhere, before the mail goes out or after."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from auth_methods.audit import Actor
from auth_methods.models import OutboxMessage
from auth_methods.outbox import outbox_body
from auth_methods.settings_service import auth_settings_update
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def tables_holding(schema: str, needle: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema],
        )
        tables = [name for (name,) in cursor.fetchall()]
        assert len(tables) > 5, tables
        found = []
        for table in tables:
            quoted = connection.ops.quote_name(schema) + "." + connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*) FROM {quoted} AS t WHERE t::text LIKE %s",  # noqa: S608
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def test_no_table_holds_a_sign_up_link_before_or_after_it_is_mailed_or_used(
    acme: Organisation, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with with_org(acme):
        auth_settings_update(
            org=acme, actor=Actor(label="test"), changes={"self_signup_enabled": True}
        )
    client = Client(HTTP_HOST="acme.localhost")
    with django_capture_on_commit_callbacks() as queued:
        assert client.post("/signup", {"email": "kept@acme.test"}).status_code == 200
    with with_org(acme):
        message = OutboxMessage.objects.get(kind="signup_link")
        found = re.search(r"/signup/confirm/(\S+)", outbox_body(message))
    assert found is not None
    token = found.group(1)
    for schema in (acme.schema_name, "public"):  # queued, not sent yet
        assert tables_holding(schema, token) == []
    for callback in queued:
        callback()
    assert f"/signup/confirm/{token}" in mailoutbox[-1].body  # the mail that left works
    for schema in (acme.schema_name, "public"):
        assert tables_holding(schema, token) == []
    assert client.post(f"/signup/confirm/{token}").status_code == 302
    for schema in (acme.schema_name, "public"):
        assert tables_holding(schema, token) == []
