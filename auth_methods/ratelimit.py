"""Brute-force guards: a fixed-window counter per subject in the (schema-prefixed) cache."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from auth_methods.errors import AuthError
from auth_methods.models import User

# Password guesses, 15-minute windows: 10 per account from one client (IP address) and 50
# per client. Only failures use the budget up (a right password gives its attempt back), and
# the account's budget is per client, so a stranger's wrong guesses cannot lock the owner out.
PASSWORD_PER_ACCOUNT_AND_CLIENT = (10, 900)
PASSWORD_PER_CLIENT = (50, 900)


@dataclass(frozen=True)
class Attempt:
    """The counter buckets one attempt was counted in, so that a success can give it back."""

    buckets: tuple[str, ...] = ()


def _bucket(key: str, window: int, now: float | None) -> str:
    moment = time.time() if now is None else now
    return f"{key}:{int(moment // window)}"


def counter_incr(key: str, window: int, *, now: float | None = None) -> int:
    """Count one more event for ``key`` in the current fixed window of ``window`` seconds and
    return the window's count. O(1) and atomic on Redis and locmem alike.

    The window's number is part of the cache key, so a counter never outlives its window
    even if it loses its expiry: Django's Redis ``incr`` is EXISTS then INCRBY, and a key that
    expires in between comes back without a TTL. Without the number, that stray counter
    would refuse its subject for good."""
    bucket = _bucket(key, window, now)
    try:  # the usual case, every call of a window but its first: one cache operation
        return int(cache.incr(bucket))
    except ValueError:  # the window's first event
        pass
    cache.add(bucket, 0, window)
    try:
        return int(cache.incr(bucket))
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, window)
        return 1


def _authorize(budgets: list[tuple[str, tuple[int, int]]], message: str) -> Attempt:
    now = time.time()
    buckets = []
    for key, (limit, window) in budgets:
        buckets.append(_bucket(key, window, now))
        if counter_incr(key, window, now=now) > limit:
            raise AuthError("rate_limited", message.format(minutes=window // 60))
    return Attempt(tuple(buckets))


def authorize_password_attempt(*, email: str, ip: str | None) -> Attempt:
    """Count one password attempt before the hash is checked (so concurrent guesses cannot
    overrun the budget); ``attempt_succeeded`` gives it back once the password is right."""
    client = ip or "unknown"
    return _authorize(
        [
            (f"rl:pw:acct:{email.strip().lower()}:ip:{client}", PASSWORD_PER_ACCOUNT_AND_CLIENT),
            (f"rl:pw:ip:{client}", PASSWORD_PER_CLIENT),
        ],
        "Too many sign-in attempts; try again in {minutes} minutes.",
    )


def attempt_succeeded(attempt: Attempt) -> None:
    for bucket in attempt.buckets:
        try:
            cache.decr(bucket)
        except ValueError:  # its window is over: nothing left to give back
            continue


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


# 60 OIDC token requests per minute from one address: far above any client's honest need.
OIDC_TOKEN_PER_IP = (60, 60)


def authorize_oidc_token_request(ip: str | None) -> None:
    limit, window = OIDC_TOKEN_PER_IP
    if counter_incr(f"rl:oidc-token:ip:{ip}", window) > limit:
        raise AuthError("rate_limited", f"Too many token requests; try again in {window} s.")
