"""Reading the audit log: one filter shape shared by the portal page and its CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from auth_methods.models import AuditEvent, User


@dataclass(frozen=True)
class AuditFilters:
    """Empty values mean "any"; dates are whole days in the site's time zone, both inclusive."""

    action: str = ""
    user: str = ""  # an email, an external id, or an actor label such as "api_key:<lookup>"
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Matching events, newest first, with the actor and subject users joined in."""
    events = AuditEvent.objects.select_related("actor", "subject").order_by("-created_at", "-id")
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.user:
        who = filters.user.strip()
        people = User.objects.filter(Q(email__iexact=who) | Q(external_id=who)).values("pk")
        # actor_label still names an actor whose user row was deleted (the FK is then null).
        events = events.filter(
            Q(actor__in=people) | Q(subject__in=people) | Q(actor_label__iexact=who)
        )
    if filters.date_from is not None:
        events = events.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to is not None:
        events = events.filter(created_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return events


def audit_actions() -> list[str]:
    """Every action name the log holds, for the filter's drop-down (an index-only scan)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
