"""The platform's own audit log (shared schema): sign-up attempts, staff actions on orgs."""

from __future__ import annotations

from typing import Any

from tenants.models import PlatformAuditEvent


def platform_audit(
    action: str,
    outcome: str,
    *,
    ip: str | None = None,
    actor: str = "",
    subject: str = "",
    **data: Any,
) -> None:
    PlatformAuditEvent.objects.create(
        action=action, outcome=outcome, ip=ip, actor=actor[:254], subject=subject[:254], data=data
    )
