"""The brute-force counters: fixed windows, one cache key per window."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from auth_methods.ratelimit import counter_incr

pytestmark = pytest.mark.django_db

MINUTE = 60.0
T0 = 1_800_000 * MINUTE  # the start of a minute


def test_a_counter_counts_within_its_window_and_starts_afresh_in_the_next() -> None:
    assert [counter_incr("k", 60, now=T0 + s) for s in (0, 30, 59.9)] == [1, 2, 3]
    assert counter_incr("k", 60, now=T0 + 60) == 1
    assert counter_incr("other", 60, now=T0 + 60) == 1


def test_a_counter_that_lost_its_expiry_outlives_nothing() -> None:
    # Django's Redis incr is EXISTS then INCRBY: a key expiring in between comes back
    # without a TTL. Such a stray counter belongs to one window only.
    stray = f"k:{int(T0 // 60)}"
    cache.set(stray, 1000, None)
    assert counter_incr("k", 60, now=T0 + 1) == 1001
    assert counter_incr("k", 60, now=T0 + 61) == 1


def test_the_password_budget_is_shared_by_processes_through_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two web processes, each with its own cache client on one Redis, spend one budget; a
    right password gives its attempt back there too."""
    import os
    import uuid

    from django.core.cache.backends.redis import RedisCache

    from auth_methods import ratelimit
    from auth_methods.errors import AuthError

    url = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    prefix = f"test-{uuid.uuid4().hex}"
    processes = [RedisCache(url, {"KEY_PREFIX": prefix}) for _ in range(2)]
    email = "owner@acme.test"
    try:
        for n in range(10):
            monkeypatch.setattr(ratelimit, "cache", processes[n % 2])
            attempt = ratelimit.authorize_password_attempt(email=email, ip="10.0.0.66")
            if n == 0:
                ratelimit.attempt_succeeded(attempt)  # the right password: given back
        monkeypatch.setattr(ratelimit, "cache", processes[0])
        ratelimit.authorize_password_attempt(email=email, ip="10.0.0.66")  # the 10th failure
        with pytest.raises(AuthError) as refused:
            ratelimit.authorize_password_attempt(email=email, ip="10.0.0.66")
        assert refused.value.code == "rate_limited"
        ratelimit.authorize_password_attempt(email=email, ip="10.0.0.1")  # the owner's client
    finally:  # only this test's keys: the Redis database may serve other tests too
        client = processes[0]._cache.get_client(write=True)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_counting_in_a_live_window_is_one_cache_operation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every REST call counts twice (per address, per key): the common case must not also
    # pay for the window's creation.
    counter_incr("live", 60, now=T0)
    calls: list[str] = []

    def counted(name: str) -> Any:
        original = getattr(cache, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return original(*args, **kwargs)

        return call

    for name in ("add", "incr", "set", "get"):
        monkeypatch.setattr(cache, name, counted(name))
    assert counter_incr("live", 60, now=T0 + 1) == 2
    assert calls == ["incr"]
