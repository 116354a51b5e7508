"""The audit log: every security-relevant event of an organisation, success or failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from django.db import connection
from django.db.models import Field
from django.db.models.signals import post_save

from auth_methods.models import AuditEvent, User


class Via(StrEnum):
    """How the actor proved who they are; sensitive services ask browser sessions only."""

    SESSION = "session"  # a person's browser, signed in (portal or session REST)
    API_KEY = "api_key"  # an integrator's key: its own credential, never asked to re-confirm
    CLI = "cli"  # an operator on the server
    SYSTEM = "system"  # the service itself (tasks, migrations)
    ANONYMOUS = "anonymous"  # a browser that is not signed in


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where: built once per request (or command, or task).

    ``authenticated_at`` (epoch seconds) is when a session's person last signed in or
    re-confirmed; ``auth_methods.reauth`` reads it before every sensitive change.
    """

    user: User | None = None
    label: str = ""
    ip: str | None = None
    user_agent: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    via: Via = Via.SYSTEM
    authenticated_at: float | None = None
    # When a recovery link signed this session in: until it proves itself again, such a session
    # may only restore the passkey that was lost (see ``auth_methods.reauth``).
    recovered_at: float | None = None
    scopes: frozenset[str] = frozenset()  # an API key's scopes


SYSTEM = Actor(label="system")
CLI = Actor(label="cli", via=Via.CLI)


def audit_values(
    *,
    actor: Actor,
    action: str,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    code: str = "",
    subject: User | None = None,
    credential_id: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one event, by model field name: what every writer of the log stores."""
    return {
        "action": action,
        "outcome": outcome,
        "code": code,
        "actor": actor.user if actor.user is not None and actor.user.pk else None,
        "actor_label": actor.label or (actor.user.email if actor.user else ""),
        "subject": subject if subject is not None and subject.pk else None,
        "credential_id": credential_id,
        "ip": actor.ip,
        "user_agent": actor.user_agent[:500],
        "data": data or {},
    }


def audit_record(
    *,
    actor: Actor,
    action: str,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    code: str = "",
    subject: User | None = None,
    credential_id: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one event. Failures are recorded by the caller after its transaction rolled
    back, so that "nothing is written on error" still keeps the trail."""
    return AuditEvent.objects.create(
        **audit_values(
            actor=actor,
            action=action,
            outcome=outcome,
            code=code,
            subject=subject,
            credential_id=credential_id,
            data=data,
        )
    )


_FIELDS = [
    cast("Field[Any, Any]", AuditEvent._meta.get_field(name))
    for name in ("created_at", *audit_values(actor=SYSTEM, action=""))
]
# Column list and placeholders, built once: hot paths append the event to their own statement.
AUDIT_INSERT_SQL = (
    f"INSERT INTO {AuditEvent._meta.db_table} "  # noqa: S608 (our table and columns)
    f"({', '.join(str(field.column) for field in _FIELDS)}) "
    f"SELECT {', '.join(['%s'] * len(_FIELDS))}"
)


def audit_insert_params(values: dict[str, Any], *, now: datetime) -> list[Any]:
    """The parameters of ``AUDIT_INSERT_SQL`` for ``audit_values(...)``, adapted by the same
    model fields as ``audit_record``'s INSERT, so both write the same row."""
    row = {"created_at": now, **values}
    return [
        field.get_db_prep_save(
            getattr(row[field.name], "pk", row[field.name])
            if field.is_relation
            else row[field.name],
            connection,
        )
        for field in _FIELDS
    ]


def audit_inserted(values: dict[str, Any], *, pk: int, now: datetime) -> None:
    """Tell the audit trail's observers (``post_save`` receivers, e.g. the sign-in metrics)
    of an event written by ``AUDIT_INSERT_SQL``, as ``audit_record``'s save would have."""
    event = AuditEvent(pk=pk, created_at=now, **values)
    event._state.adding = False
    event._state.db = connection.alias
    post_save.send(
        sender=AuditEvent,
        instance=event,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )
