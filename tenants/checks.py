from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from tenants.hosts import is_valid_hostname

# The operations middleware answers probes and /metrics itself, reading only shared tables
# after choosing the public schema; everything else it passes on to routing.
SCHEMA_FREE_MIDDLEWARE = frozenset(
    {"config.request_id.RequestIdMiddleware", "config.ops_middleware.OperationsMiddleware"}
)


@register()
def check_platform_hosts(**kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not is_valid_hostname(settings.BASE_DOMAIN):
        errors.append(
            Error(
                f"PASSGATE_BASE_DOMAIN={settings.BASE_DOMAIN!r} is not a valid hostname.",
                id="passgate.E001",
            )
        )
    # Only middleware that touches no database may run before routing picks the schema.
    routing = "tenants.middleware.OrgRoutingMiddleware"
    before = (
        settings.MIDDLEWARE[: settings.MIDDLEWARE.index(routing)]
        if routing in settings.MIDDLEWARE
        else None
    )
    if before is None or any(name not in SCHEMA_FREE_MIDDLEWARE for name in before):
        errors.append(
            Error(
                "OrgRoutingMiddleware must come first in MIDDLEWARE"
                " (after schema-free middleware only).",
                id="passgate.E002",
            )
        )
    return errors
