"""Read-only figures for the portal overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from auth_methods.models import AuditEvent, Passkey, User

# The events that let a person in: a password, a passkey, a recovery or registration link.
SIGN_IN_ACTIONS = ("passkey.authenticate", "password.sign_in", "recovery_link.redeem")


@dataclass(frozen=True)
class Overview:
    users: int
    passkeys: int
    users_with_passkey: int
    sign_ins_ok: int
    sign_ins_failed: int

    @property
    def passkey_share(self) -> int:
        """Percentage of users holding at least one passkey."""
        return round(100 * self.users_with_passkey / self.users) if self.users else 0


def org_overview() -> Overview:
    since = timezone.now() - timedelta(hours=24)
    events = AuditEvent.objects.filter(created_at__gte=since, action__in=SIGN_IN_ACTIONS).aggregate(
        ok=Count("id", filter=Q(outcome=AuditEvent.Outcome.SUCCESS)),
        failed=Count("id", filter=Q(outcome=AuditEvent.Outcome.FAILURE)),
    )
    return Overview(
        users=User.objects.count(),
        passkeys=Passkey.objects.count(),
        users_with_passkey=User.objects.filter(passkeys__isnull=False).distinct().count(),
        sign_ins_ok=events["ok"],
        sign_ins_failed=events["failed"],
    )
