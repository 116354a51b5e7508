"""The sign-in writes its audit event inside its own statement: the row must be the one
``audit_record`` writes, column for column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from auth_methods.audit import (
    AUDIT_INSERT_SQL,
    Actor,
    Via,
    audit_insert_params,
    audit_record,
    audit_values,
)
from auth_methods.models import AuditEvent, User
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("ip", ["203.0.113.9", "2001:db8::1", None])
def test_the_statement_writes_the_row_audit_record_writes(in_acme: Organisation, ip: str) -> None:
    subject = User.objects.create_user("subject@acme.test")
    actor = Actor(label="api_key:abc", ip=ip, user_agent="ua " * 300, via=Via.API_KEY)
    event: dict[str, Any] = {
        "actor": actor,
        "action": "passkey.authenticate",
        "subject": subject,
        "credential_id": "Y3JlZA",
        "data": {"user_verified": True, "nested": {"é": [1, None]}},
    }
    recorded = audit_record(**event)
    when = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{AUDIT_INSERT_SQL} RETURNING id", audit_insert_params(audit_values(**event), now=when)
        )
        inserted = AuditEvent.objects.get(pk=cursor.fetchone()[0])
    recorded.refresh_from_db()
    assert inserted.created_at == when
    assert model_to_dict(inserted, exclude=["id"]) == model_to_dict(recorded, exclude=["id"])
    assert inserted.user_agent == recorded.user_agent and len(inserted.user_agent) == 500


def test_every_column_but_the_key_is_written() -> None:
    columns = {f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key}
    named = AUDIT_INSERT_SQL.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert set(named) == columns and len(named) == len(columns)
