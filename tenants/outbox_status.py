"""The outbox's health across organisations: each org's sweep reports here, metrics read it.

The outbox itself lives in each org's schema (auth_methods); this module only keeps the
figures, so tenants/ still knows nothing of what an email is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min, Sum
from django.utils import timezone

from tenants.models import Organisation, OrgOutboxStatus


@dataclass(frozen=True)
class OutboxTotals:
    backlog: int
    oldest_unsent_age: float
    # Unix time of the least recently swept org: the one an alert must notice.
    last_sweep: float | None


def outbox_status_report(
    *, org: Organisation, backlog: int, oldest_unsent_at: datetime | None
) -> None:
    OrgOutboxStatus.objects.update_or_create(
        org=org,
        defaults={
            "swept_at": timezone.now(),
            "backlog": backlog,
            "oldest_unsent_at": oldest_unsent_at,
        },
    )


def outbox_totals() -> OutboxTotals:
    row = OrgOutboxStatus.objects.aggregate(
        backlog=Sum("backlog"),
        oldest=Min("oldest_unsent_at"),
        stalest=Min("swept_at"),
    )
    now = timezone.now()
    oldest = row["oldest"]
    stalest = row["stalest"]
    return OutboxTotals(
        backlog=int(row["backlog"] or 0),
        oldest_unsent_age=(now - oldest).total_seconds() if oldest else 0.0,
        last_sweep=stalest.timestamp() if stalest else None,
    )
