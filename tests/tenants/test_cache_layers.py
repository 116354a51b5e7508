"""Per-process caches sized for thousands of organisations, and the bounded in-process layer
kept in front of a shared cache (a file cache stands in for Redis: shared between processes,
not in this process's memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tenants.cache_layers import NearCache
from tenants.models import Domain, Organisation
from tenants.selectors import org_for_host, routing_cache

FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Any]:
    """The routing alias (and a spare one) on a cache shared between processes."""
    aliases = {
        alias: {"BACKEND": FILE_CACHE, "LOCATION": str(tmp_path / alias)}
        for alias in ("routing", "spare")
    }
    with override_settings(CACHES={**settings.CACHES, **aliases}):
        routing_cache.clear()
        yield caches["spare"]
    routing_cache.clear()


def test_an_entry_is_served_from_the_process_until_its_time_is_up(
    shared: Any, clock: Clock
) -> None:
    near = NearCache("spare", max_entries=10, seconds=5, clock=clock)
    near.set("k", "before", 300)
    shared.set("k", "after", 300)  # another process changed it
    clock.now += 4.9
    assert near.get("k") == "before"
    clock.now += 0.2
    assert near.get("k") == "after"  # seen within the layer's seconds


def test_an_entry_emptied_in_another_process_is_gone_here_within_the_seconds(
    shared: Any, clock: Clock
) -> None:
    near = NearCache("spare", max_entries=10, seconds=5, clock=clock)
    near.set("k", "v", 300)
    shared.delete("k")
    assert near.get("k") == "v"
    clock.now += 5.1
    assert near.get("k") is None


def test_an_entry_emptied_in_this_process_is_gone_at_once(shared: Any) -> None:
    near = NearCache("spare", max_entries=10, seconds=60)
    near.set("k", "v", 300)
    near.delete_many(["k"])
    assert near.get("k") is None
    assert shared.get("k") is None


def test_it_holds_at_most_its_bound_dropping_the_least_recently_used(shared: Any) -> None:
    near = NearCache("spare", max_entries=3, seconds=60)
    for key in "abc":
        near.set(key, key.upper(), 300)
    assert near.get("a") == "A"  # now the most recently used
    near.set("d", "D", 300)
    assert len(near) == 3
    shared.delete_many(["a", "b", "c", "d"])  # from here on only this process remembers
    assert [near.get(key) for key in "abcd"] == ["A", None, "C", "D"]


def test_each_caller_gets_its_own_copy(shared: Any) -> None:
    near = NearCache("spare", max_entries=10, seconds=60)
    near.set("k", {"hosts": ["a"]}, 300)
    near.get("k")["hosts"].append("b")
    assert near.get("k") == {"hosts": ["a"]}


def test_it_stands_aside_when_the_cache_is_already_in_process() -> None:
    near = NearCache("routing", max_entries=10, seconds=60)
    assert not near.active
    near.set("k", "v", 300)
    assert len(near) == 0
    assert caches["routing"].get("k") == "v"


@pytest.mark.django_db
def test_host_lookups_go_through_the_layer_and_a_domain_change_empties_it(
    shared: Any, acme: Organisation
) -> None:
    assert routing_cache.active
    assert org_for_host("alias.example.com", ttl=60) is None
    domain = Domain.objects.create(domain="alias.example.com", tenant=acme, is_primary=False)
    assert org_for_host("alias.example.com", ttl=60) == acme
    caches["routing"].clear()  # the shared cache's copy gone: the process still has one
    with CaptureQueriesContext(connection) as queries:
        assert org_for_host("alias.example.com", ttl=60) == acme
    assert len(queries) == 0
    domain.delete()
    assert org_for_host("alias.example.com", ttl=60) is None


def test_the_per_process_caches_keep_thousands_of_organisations() -> None:
    """Django's default (300 entries, a third culled when full) dropped hosts as soon as
    traffic spread over ~150 organisations."""
    assert settings.LOCAL_CACHE_ENTRIES >= 20_000
    for alias in ("default", "routing"):
        cache = caches[alias]
        for i in range(5000):
            cache.set(f"host:org{i}.example.com", i, 300)
        assert cache.get("host:org0.example.com") == 0, alias
        assert cache.get("host:org4999.example.com") == 4999, alias
