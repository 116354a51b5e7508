"""The audit log: every security-relevant event of an organisation, success or failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auth_methods.models import AuditEvent, User


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where: built once per request (or command, or task)."""

    user: User | None = None
    label: str = ""
    ip: str | None = None
    user_agent: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SYSTEM = Actor(label="system")


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
        action=action,
        outcome=outcome,
        code=code,
        actor=actor.user if actor.user is not None and actor.user.pk else None,
        actor_label=actor.label or (actor.user.email if actor.user else ""),
        subject=subject if subject is not None and subject.pk else None,
        credential_id=credential_id,
        ip=actor.ip,
        user_agent=actor.user_agent[:500],
        data=data or {},
    )
