from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from tenants.hosts import is_valid_hostname


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
    if settings.MIDDLEWARE[0] != "tenants.middleware.OrgRoutingMiddleware":
        errors.append(
            Error("OrgRoutingMiddleware must come first in MIDDLEWARE.", id="passgate.E002")
        )
    return errors
