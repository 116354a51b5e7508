from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from auth_methods.stats import org_overview
from portal.decorators import require_org_admin


@require_org_admin
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "portal/overview.html", {"section": "overview", "stats": org_overview()})
