"""A Redis cache that degrades instead of failing: when Redis is unreachable, every
operation falls back to a small in-process cache, and the request goes on.

Why at this level: host routing, the policy cache, API-key lookups and every rate counter
read through Django's cache. Each is a read-through cache over the database or a counter,
so a miss is always safe: routing and policy are read from PostgreSQL again. Catching the
outage once here keeps every caller unchanged and none of them can forget it.

While Redis is down:
- cached data (routing, policy, keys) lives at most ``FALLBACK_MAX_SECONDS`` in each
  process, so an invalidation that could not reach Redis is late by that much at most;
- rate counters count per process (the limits are then per process: fail open per
  process, never closed, so sign-in keeps working); they go back to shared counts when
  Redis answers again;
- after one failure the process skips Redis for ``BREAKER_SECONDS`` instead of paying a
  connect timeout on every call, logs once per outage at ERROR, and counts every failed
  operation in ``passgate_cache_errors_total``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from config.metrics import CACHE_ERRORS

logger = logging.getLogger("passgate.cache")

BREAKER_SECONDS = 5.0
FALLBACK_MAX_SECONDS = 60
# What an outage looks like; a ResponseError other than read-only is a bug, not an outage.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
)
T = TypeVar("T")

# One breaker per Redis location and process: the cache handler makes a backend per thread.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server
        self._role = str(params.get("KEY_PREFIX") or "default")
        fallback_params = {
            "KEY_PREFIX": params.get("KEY_PREFIX", ""),
            "KEY_FUNCTION": params.get("KEY_FUNCTION"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
        self._fallback = LocMemCache(f"passgate-fallback-{self._role}", fallback_params)

    def _available(self) -> bool:
        until = _down_until.get(self._location)
        return until is None or time.monotonic() >= until

    def _failed(self, operation: str, exc: Exception) -> None:
        CACHE_ERRORS.labels(self._role, operation).inc()
        with _lock:
            was_up = self._location not in _down_until
            _down_until[self._location] = time.monotonic() + BREAKER_SECONDS
        if was_up:
            logger.error(
                "cache unreachable (%s: %s); falling back to the database and per-process "
                "counters until it answers again",
                type(exc).__name__,
                exc,
            )

    def _recovered(self) -> None:
        if self._location in _down_until:
            with _lock:
                if _down_until.pop(self._location, None) is not None:
                    logger.warning("cache reachable again; shared caching and counters resume")

    def _guard(self, operation: str, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        if not self._available():
            CACHE_ERRORS.labels(self._role, operation).inc()
            return fallback()
        try:
            result = primary()
        except OUTAGE_ERRORS as exc:
            self._failed(operation, exc)
            return fallback()
        self._recovered()
        return result

    def _short(self, timeout: float | None | object) -> Any:
        if timeout is DEFAULT_TIMEOUT or timeout is None:
            return FALLBACK_MAX_SECONDS
        return min(float(timeout), FALLBACK_MAX_SECONDS)  # type: ignore[arg-type]

    def ping(self) -> None:
        """Raises when Redis does not answer: for readiness, which must see the outage."""
        self._cache.get_client(write=True).ping()

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard(
            "get",
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            lambda: self._fallback.get(key, default, version),
        )

    def get_many(self, keys: Any, version: int | None = None) -> Any:
        return self._guard(
            "get_many",
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            lambda: self._fallback.get_many(keys, version),
        )

    def has_key(self, key: Any, version: int | None = None) -> Any:
        return self._guard(
            "has_key",
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            lambda: self._fallback.has_key(key, version),
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._guard(
            "set",
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self._fallback.set(key, value, self._short(timeout), version),
        )

    def set_many(
        self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> Any:
        return self._guard(
            "set_many",
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            lambda: self._fallback.set_many(data, self._short(timeout), version),
        )

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> Any:
        # Counters start with add(); their window is their lifetime, so it is kept as is.
        return self._guard(
            "add",
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self._fallback.add(key, value, timeout, version),
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        return self._guard(
            "incr",
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            lambda: self._fallback.incr(key, delta, version),
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> Any:
        return self._guard(
            "touch",
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            lambda: self._fallback.touch(key, self._short(timeout), version),
        )

    def delete(self, key: Any, version: int | None = None) -> Any:
        # The local copy goes too, so this process never serves what was just invalidated.
        self._fallback.delete(key, version)
        return self._guard(
            "delete",
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: False,
        )

    def delete_many(self, keys: Any, version: int | None = None) -> Any:
        self._fallback.delete_many(keys, version)
        return self._guard(
            "delete_many",
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            lambda: None,
        )

    def clear(self) -> Any:
        self._fallback.clear()
        return self._guard("clear", lambda: super(ResilientRedisCache, self).clear(), lambda: None)
