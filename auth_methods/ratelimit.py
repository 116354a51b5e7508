"""Brute-force guards: a fixed-window counter per subject in the (schema-prefixed) cache."""

from __future__ import annotations

import time

from django.core.cache import cache

from auth_methods.errors import AuthError
from auth_methods.models import User

# 10 password attempts per account and 50 per IP address, per 15 minutes.
PASSWORD_PER_ACCOUNT = (10, 900)
PASSWORD_PER_IP = (50, 900)


def counter_incr(key: str, window: int, *, now: float | None = None) -> int:
    """Count one more event for ``key`` in the current fixed window of ``window`` seconds and
    return the window's count. O(1) and atomic on Redis and locmem alike.

    The window's number is part of the cache key, so a counter never outlives its window
    even if it loses its expiry: Django's Redis ``incr`` is EXISTS then INCRBY, and a key that
    expires in between comes back without a TTL. Without the number, that stray counter
    would refuse its subject for good."""
    moment = time.time() if now is None else now
    bucket = f"{key}:{int(moment // window)}"
    cache.add(bucket, 0, window)
    try:
        return int(cache.incr(bucket))
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, window)
        return 1


def authorize_password_attempt(*, email: str, ip: str | None) -> None:
    for key, (limit, window) in (
        (f"rl:pw:acct:{email.lower()}", PASSWORD_PER_ACCOUNT),
        (f"rl:pw:ip:{ip}", PASSWORD_PER_IP),
    ):
        if counter_incr(key, window) > limit:
            raise AuthError(
                "rate_limited", f"Too many sign-in attempts; try again in {window // 60} minutes."
            )


# 5 second-factor guesses per user per 5 minutes, counted separately for the authenticator
# app and for recovery codes. With the ±1 step window a guess hits one of 3 live codes in
# 10^6, so an attacker who holds the password (at ~1,440 guesses a day) needs about four
# months for even odds. Successes count too: a code changes every 30 s, nobody needs more.
# Keys carry the user's pk only: the default cache prefixes every key with the org schema.
TOTP_PER_USER = (5, 300)
RECOVERY_CODE_PER_USER = (5, 300)


def _authorize_user(kind: str, user_pk: object, budget: tuple[int, int]) -> None:
    limit, window = budget
    if counter_incr(f"rl:{kind}:user:{user_pk}", window) > limit:
        raise AuthError(
            "rate_limited", f"Too many codes tried; try again in {window // 60} minutes."
        )


def authorize_totp_attempt(user: User) -> None:
    _authorize_user("totp", user.pk, TOTP_PER_USER)


def authorize_recovery_code_attempt(user: User) -> None:
    _authorize_user("recovery", user.pk, RECOVERY_CODE_PER_USER)
