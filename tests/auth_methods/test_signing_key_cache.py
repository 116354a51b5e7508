"""Parsed signing keys are kept per (organisation, algorithm), in a bounded map: a process
serving many organisations must not keep every one's key for ever."""

from __future__ import annotations

import pytest
from django.conf import settings

from auth_methods import tokens
from auth_methods.local_lru import BoundedLru
from tenants.models import Organisation


def test_the_map_keeps_the_most_recently_used_entries() -> None:
    lru: BoundedLru[str, int] = BoundedLru(2)
    lru.set("a", 1)
    lru.set("b", 2)
    assert lru.get("a") == 1  # now "b" is the least recently used
    lru.set("c", 3)
    assert len(lru) == 2
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)


def test_the_key_cache_is_bounded_by_the_local_cache_setting() -> None:
    assert isinstance(tokens._KEY_CACHE, BoundedLru)
    assert tokens._KEY_CACHE.max_entries == settings.LOCAL_CACHE_ENTRIES


@pytest.mark.django_db
def test_signing_keys_beyond_the_bound_are_dropped_and_parsed_again(
    in_acme: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens._KEY_CACHE, "max_entries", 1)
    es_kid, _ = tokens.current_signing_key("ES256")
    rs_kid, _ = tokens.current_signing_key("RS256")
    assert len(tokens._KEY_CACHE) == 1
    assert tokens.current_signing_key("ES256")[0] == es_kid  # reloaded, not a new key
    assert tokens.current_signing_key("RS256")[0] == rs_kid
    assert len(tokens._KEY_CACHE) == 1
