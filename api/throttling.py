"""Per-IP and per-API-key request rates, counted in fixed windows.

DRF's SimpleRateThrottle keeps one timestamp per request in a single cache entry that is read,
trimmed and rewritten on every call: at an integrator's rate (thousands a minute) that is a
list of thousands pickled twice per request. A counter per window costs the same at any rate;
a burst can reach twice the rate across a window boundary, which is the usual price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.context import api_key_of, client_ip
from auth_methods.ratelimit import counter_incr
from auth_methods.request_budget import ip_budget_key

if TYPE_CHECKING:  # rest_framework.views imports this module through settings
    from rest_framework.views import APIView


class FixedWindowThrottle(SimpleRateThrottle):
    retry_after: float | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        limit, duration = self.parse_rate(self.rate)
        if limit is None or duration is None:
            return True
        now = self.timer()
        self.retry_after = duration - now % duration  # until this window ends
        return counter_incr(key, duration, now=now) <= limit

    def wait(self) -> float | None:
        return self.retry_after


class PerIpThrottle(FixedWindowThrottle):
    scope = "ip"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return ip_budget_key(client_ip(request))


class PerKeyThrottle(FixedWindowThrottle):
    scope = "key"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = api_key_of(request)
        return f"throttle:key:{key.pk}" if key else None
