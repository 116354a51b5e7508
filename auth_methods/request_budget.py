"""The per-client-IP request budget. Every REST call spends it (``api/throttling.py``), and so
does a page that renders ceremony options, since each set stores a challenge just like an
``/webauthn/*/options`` call: both count in the very same counter."""

from __future__ import annotations

from django.conf import settings

from auth_methods.ratelimit import counter_incr

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def ip_budget_key(ip: str | None) -> str:
    return f"throttle:ip:{ip}"


def ip_rate() -> str:
    """``PASSGATE_RATE_PER_IP`` as configured, e.g. ``"600/min"``."""
    return str(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["ip"])  # type: ignore[index]


def spend_ip_request(ip: str | None) -> bool:
    """Count one request of ``ip``; False once its budget for this window is spent."""
    count, period = ip_rate().split("/")
    window = _PERIODS[period[0]]
    return counter_incr(ip_budget_key(ip), window) <= int(count)
