from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.context import api_key_of, client_ip

if TYPE_CHECKING:  # rest_framework.views imports this module through settings
    from rest_framework.views import APIView


class PerIpThrottle(SimpleRateThrottle):
    scope = "ip"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return f"throttle:ip:{client_ip(request)}"


class PerKeyThrottle(SimpleRateThrottle):
    scope = "key"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = api_key_of(request)
        return f"throttle:key:{key.pk}" if key else None
