"""The brute-force counters: fixed windows, one cache key per window."""

from __future__ import annotations

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
