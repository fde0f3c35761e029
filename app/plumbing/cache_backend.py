"""A flask-caching backend: cachelib's SimpleCache, bounded in bytes as well as entries.

SimpleCache only counts entries (CACHE_THRESHOLD), and one entry here can be a whole
rendered page (~100 KB, ~1 MB with 300 models): a flood of distinct `?q=` grew each
worker to ~88 MB. This backend keeps the total size of the stored (pickled) values under
CACHE_MAX_BYTES by evicting the oldest entries first, so a worker's memory has a ceiling
whatever the traffic (SPEC §8). Selected with CACHE_TYPE in app/config.py.
"""

import time
from typing import Any

from flask import Flask
from flask_caching.backends.simplecache import SimpleCache

# Bookkeeping per entry beyond the pickled value: the key string, the (expires, value)
# tuple and the dict slot. An estimate, so that many tiny entries still count.
ENTRY_OVERHEAD = 200


class BoundedSimpleCache(SimpleCache):
    """SimpleCache whose entries, pickled, never total more than `max_bytes`.

    Entries are kept in insertion order (a `set` re-inserts at the end): eviction drops
    expired entries first, then the oldest. A value larger than the whole budget is not
    stored at all (the caller simply rebuilds it next time).
    """

    def __init__(self, max_bytes: int, threshold: int = 500, **kwargs: Any) -> None:
        super().__init__(threshold=threshold, **kwargs)
        self.max_bytes = int(max_bytes)
        self._sizes: dict[str, int] = {}
        self.total_bytes = 0

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> "BoundedSimpleCache":
        kwargs.update(threshold=config["CACHE_THRESHOLD"], max_bytes=config["CACHE_MAX_BYTES"])
        return cls(*args, **kwargs)

    # --- bookkeeping -------------------------------------------------------------------

    def _drop(self, key: str) -> bool:
        self.total_bytes -= self._sizes.pop(key, 0)
        return self._cache.pop(key, None) is not None

    def _make_room(self, needed: int) -> None:
        """Evict until `needed` more bytes and one more entry fit."""
        if self.total_bytes + needed <= self.max_bytes and len(self._cache) < self._threshold:
            return
        now = time.time()
        for key in [k for k, (expires, _) in self._cache.items() if 0 < expires < now]:
            self._drop(key)
        while self._cache and (
            self.total_bytes + needed > self.max_bytes or len(self._cache) >= self._threshold
        ):
            self._drop(next(iter(self._cache)))

    def _store(self, key: str, value: Any, timeout: Any) -> bool:
        expires = self._normalize_timeout(timeout)
        data = self.serializer.dumps(value)
        if data is None:  # cachelib's serializer returns None only when it fails
            return False
        size = len(data) + len(key) + ENTRY_OVERHEAD
        self._drop(key)
        if size > self.max_bytes:
            return False
        self._make_room(size)
        self._cache[key] = (expires, data)
        self._sizes[key] = size
        self.total_bytes += size
        return True

    # --- the cachelib API ----------------------------------------------------------------

    def set(self, key: str, value: Any, timeout: Any = None) -> bool:
        with self._lock:
            return self._store(key, value, timeout)

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        with self._lock:
            if self.has(key):
                return False
            return self._store(key, value, timeout)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._drop(key)

    def clear(self) -> bool:
        with self._lock:
            self._cache.clear()
            self._sizes.clear()
            self.total_bytes = 0
            return True
