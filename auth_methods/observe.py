"""Sign-in metrics, read off the audit trail: every sign-in step, by any door, is audited
once with its outcome and error code, so counting audit events counts them all without a
line in the ceremony services."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from auth_methods.models import AuditEvent
from config.metrics import SIGNINS

# Audit action -> sign-in method label.
SIGN_IN_ACTIONS = {
    "passkey.authenticate": "passkey",
    "password.sign_in": "password",
    "totp.verify": "totp",
    "recovery_codes.consume": "recovery_code",
    "recovery_link.redeem": "recovery_link",
}


@receiver(post_save, sender=AuditEvent)
def _count_sign_in(sender: type[AuditEvent], instance: AuditEvent, **kwargs: Any) -> None:
    method = SIGN_IN_ACTIONS.get(instance.action)
    if method is None or not kwargs.get("created"):
        return
    outcome = "ok" if instance.outcome == AuditEvent.Outcome.SUCCESS else instance.code or "error"
    # Counted once the event is committed: a success rolled back later did not happen.
    transaction.on_commit(lambda: SIGNINS.labels(method, outcome).inc(), robust=True)
