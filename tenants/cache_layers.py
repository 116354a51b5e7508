"""A bounded in-process layer in front of a shared cache, for lookups made on every request.

With a shared cache (PASSGATE_CACHE_URL), every routed request would pay a network round trip
for its host lookup. This layer keeps the most recently used entries in the process, at most
``max_entries`` of them (least recently used go first), each trusted for ``seconds``: a change
made in another process (whose invalidation empties the shared entry) is seen here within that
time; a change made in this process is seen at once. Without a shared cache the backend is
already this process's own bounded memory (settings' LOCAL_CACHE_ENTRIES), and the layer stands
aside rather than hold everything twice.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache


class NearCache:
    def __init__(
        self,
        alias: str,
        *,
        max_entries: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.alias = alias
        self.clock = clock
        self.max_entries = max_entries
        self.seconds = seconds
        # Values are kept pickled, as a cache backend would: each caller gets its own copy.
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def shared(self) -> Any:
        return caches[self.alias]

    @property
    def active(self) -> bool:
        return (
            self.max_entries > 0 and self.seconds > 0 and not isinstance(self.shared, LocMemCache)
        )

    def get(self, key: str) -> Any:
        if self.active:
            now = self.clock()
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0] > now:
                    self._entries.move_to_end(key)
                    return pickle.loads(entry[1])  # noqa: S301 (bytes this process pickled)
        value = self.shared.get(key)
        if value is not None:
            self._keep(key, value, self.seconds)
        return value

    def set(self, key: str, value: Any, timeout: float) -> None:
        self.shared.set(key, value, timeout)
        self._keep(key, value, min(self.seconds, timeout))

    def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)
        self.shared.delete_many(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _keep(self, key: str, value: Any, seconds: float) -> None:
        if not self.active or seconds <= 0:
            return
        entry = (self.clock() + seconds, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
