"""Audit log page: filters, newest first, paginated, and a CSV export of the same filter."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from auth_methods.audit_selectors import audit_actions, audit_events
from auth_methods.models import AuditEvent
from portal.decorators import require_org_admin
from portal.forms_admin import AuditFilterForm
from portal.views.context import org_of

PAGE_SIZE = 50
CSV_HEADER = (
    "time",
    "action",
    "outcome",
    "code",
    "actor",
    "subject",
    "credential",
    "ip",
    "user_agent",
    "data",
)
# A spreadsheet runs a cell starting with one of these as a formula, and user agents (and
# other fields) are chosen by whoever made the request: quote them (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_row(event: AuditEvent) -> list[str]:
    actor = event.actor_label or (event.actor.email if event.actor else "")
    values = (
        event.created_at.isoformat(),
        event.action,
        event.outcome,
        event.code,
        actor,
        event.subject.email if event.subject else "",
        event.credential_id,
        event.ip or "",
        event.user_agent,
        json.dumps(event.data, sort_keys=True, default=str),
    )
    return [_cell(v) for v in values]


def _csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for event in events.iterator(chunk_size=2000):  # the log can be large: never in memory
        yield writer.writerow(_csv_row(event))


def _csv_response(request: HttpRequest, events: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    day = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{org_of(request).slug}-{day}.csv"'
    )
    return response


@require_GET
@require_org_admin
def audit(request: HttpRequest, slug: str) -> HttpResponse:
    form = AuditFilterForm(request.GET, actions=audit_actions())
    if not form.is_valid():
        context = {"section": "audit", "form": form, "page": None}
        return render(request, "portal/audit.html", context, status=400)
    events = audit_events(form.filters())
    if request.GET.get("format") == "csv":
        # The portal guards type views as returning HttpResponse; they pass any response on.
        return cast(HttpResponse, _csv_response(request, events))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    context = {"section": "audit", "form": form, "page": page, "query": params.urlencode()}
    return render(request, "portal/audit.html", context)
