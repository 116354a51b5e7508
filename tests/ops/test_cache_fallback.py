"""The Redis cache falls back to the process when Redis is unreachable, and says so."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import override_settings

from config import cache as resilient
from config.cache import OUTAGE_ERRORS, ResilientRedisCache
from config.metrics import CACHE_ERRORS
from tenants.models import Organisation
from tenants.selectors import org_for_host
from tests.api.conftest import make_api

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1
UP = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _cache(location: str, prefix: str = "t") -> ResilientRedisCache:
    return ResilientRedisCache(location, {"KEY_PREFIX": prefix, "OPTIONS": OPTIONS})


@pytest.fixture(autouse=True)
def _closed_breakers() -> Iterator[None]:
    resilient._down_until.clear()
    yield
    resilient._down_until.clear()


def test_with_redis_down_every_operation_answers_from_the_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = _cache(DOWN, prefix="fallback-test")
    errors = CACHE_ERRORS.labels("fallback-test", "get")
    before = errors._value.get()
    with caplog.at_level(logging.ERROR, logger="passgate.cache"):
        assert cache.get("host:acme") is None
        cache.set("host:acme", "org", 300)
        assert cache.get("host:acme") == "org"
        assert cache.add("rl:1", 0, 900) is True
        assert [cache.incr("rl:1") for _ in range(3)] == [1, 2, 3]
        cache.delete("host:acme")
        assert cache.get("host:acme") is None
    assert errors._value.get() >= before + 1
    # One loud line per outage, not one per call.
    assert len([r for r in caplog.records if "cache unreachable" in r.message]) == 1
    with pytest.raises(OUTAGE_ERRORS):
        cache.ping()


def test_the_breaker_skips_redis_for_a_while_then_tries_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = _cache(UP, prefix="breaker-test")
    cache.set("k", "shared", 30)
    resilient._down_until[UP] = float("inf")  # as after a failure
    assert cache.get("k") is None  # Redis is not asked while the breaker is open
    resilient._down_until[UP] = 0.0  # the pause is over
    assert cache.get("k") == "shared"
    assert UP not in resilient._down_until  # reachable again: the breaker closes
    cache.delete("k")


def test_a_local_copy_lives_at_most_a_minute() -> None:
    cache = _cache(DOWN)
    assert cache._short(300) == resilient.FALLBACK_MAX_SECONDS
    assert cache._short(5) == 5


@pytest.mark.django_db
def test_with_the_cache_down_routing_reads_the_database_and_sign_in_works(
    acme: Organisation,
) -> None:
    down = {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": DOWN, "OPTIONS": OPTIONS}
    with override_settings(
        CACHES={
            "default": {**down, "KEY_FUNCTION": "django_tenants.cache.make_key"},
            "routing": {**down, "KEY_PREFIX": "routing"},
        }
    ):
        for alias in ("default", "routing"):
            caches[alias].clear()
        assert org_for_host("acme.localhost", ttl=60) == acme
        api = make_api(acme, ["admin"])
        assert api.register().status_code == 201
        assert api.sign_in().status_code == 200
