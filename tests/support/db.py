"""What a failed request may not change: rows and passkey state of one organisation."""

from __future__ import annotations

from typing import Any

from auth_methods.models import AuditEvent, AuthSettings, Passkey, User
from tenants.context import with_org
from tenants.models import Organisation


def snapshot(org: Organisation) -> dict[str, Any]:
    with with_org(org):
        return {
            "users": sorted(User.objects.values_list("external_id", "is_active")),
            "passkeys": sorted(
                (bytes(p.credential_id), p.sign_count, p.flagged, p.label, p.last_used_at)
                for p in Passkey.objects.all()
            ),
            "settings": list(AuthSettings.objects.values_list("values", flat=True)),
        }


def last_audit(org: Organisation) -> AuditEvent | None:
    with with_org(org):
        event: AuditEvent | None = AuditEvent.objects.order_by("-id").first()
        return event


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    return body
