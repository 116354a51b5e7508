"""Brute-force guards: a fixed-window counter per subject in the (schema-prefixed) cache."""

from __future__ import annotations

from django.core.cache import cache

from auth_methods.errors import AuthError

# 10 password attempts per account and 50 per IP address, per 15 minutes.
PASSWORD_PER_ACCOUNT = (10, 900)
PASSWORD_PER_IP = (50, 900)


def _spend(key: str, limit: int, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def authorize_password_attempt(*, email: str, ip: str | None) -> None:
    for key, (limit, window) in (
        (f"rl:pw:acct:{email.lower()}", PASSWORD_PER_ACCOUNT),
        (f"rl:pw:ip:{ip}", PASSWORD_PER_IP),
    ):
        if _spend(key, limit, window) > limit:
            raise AuthError(
                "rate_limited", f"Too many sign-in attempts; try again in {window // 60} minutes."
            )
