"""Hourly budgets for requests that send mail or create things: one refusal for all of them."""

from __future__ import annotations

from collections.abc import Iterable

from auth_methods.errors import AuthError
from auth_methods.ratelimit import counter_incr

Budget = tuple[str, tuple[int, int]]  # (counter key, (limit, window in seconds))


def budgets_spend(budgets: Iterable[Budget], detail: str) -> None:
    """Count one request against every budget; ``rate_limited`` with ``detail`` once any is
    spent. Every budget is counted before any refusal, so a refused caller still uses up
    the others (a script cannot probe which of them it hit)."""
    over = [counter_incr(key, window) > limit for key, (limit, window) in budgets]
    if any(over):
        raise AuthError("rate_limited", detail)
