from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware

from config.problems import problem_response
from tenants.context import platform_tenant, use_public_schema, use_tenant
from tenants.selectors import org_for_host

DISABLED_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Organisation disabled</title>"
    "<h1>Organisation disabled</h1><p>This organisation has been disabled by the platform's "
    "staff. Its administrators can contact them to enable it again.</p></html>"
)


def org_disabled(request: HttpRequest) -> HttpResponse:
    if "text/html" in request.META.get("HTTP_ACCEPT", ""):
        return HttpResponse(DISABLED_PAGE, status=403)
    return problem_response(code="forbidden", detail="This organisation is disabled.")


def problem_not_found(detail: str) -> HttpResponse:
    return problem_response(code="not_found", detail=detail)


class OrgRoutingMiddleware(TenantMainMiddleware):
    """Chooses the schema from the Host: platform hosts, known org hosts, else a 404 problem.

    Unlike django-tenants' own middleware, the host lookup is cached, and an unknown host
    never falls back to the platform site or to any organisation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self.platform_hosts = frozenset(settings.PLATFORM_HOSTS)
        self.ttl: int = settings.TENANT_CACHE_SECONDS

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        use_public_schema()
        try:
            hostname = request.get_host().rsplit(":", 1)[0].lower()
        except DisallowedHost:
            return problem_not_found("This host is not served here.")
        if hostname.startswith("[") or hostname in self.platform_hosts:
            tenant = platform_tenant()
        else:
            org = org_for_host(hostname, ttl=self.ttl)
            if org is None:
                return problem_not_found(f"No organisation is served at {hostname}.")
            if not org.is_active:
                return org_disabled(request)
            tenant = org
        tenant.domain_url = hostname
        request.tenant = tenant  # type: ignore[attr-defined]
        use_tenant(tenant)
        self.setup_url_routing(request)
        return None
