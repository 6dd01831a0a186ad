"""Levels one run has already read from the cache or stored in it, kept in the step's memory so that a pair
common to many files is asked of Redis once per run instead of once per file.

Under one model version a pair's level never changes (a new version is a new cache namespace, and a run
works under one version), so a level once read stays right for the rest of the run. Only levels 1..7 are
kept: misses and claims always go to the cache.
"""

import threading

import numpy as np

from enrichment_platform.cache.keys import key_halves
from enrichment_platform.pipeline.augment import LookupAndClaim, Store
from enrichment_platform.seniority.scale import MAX_LEVEL, MIN_LEVEL

# At most this many pairs are kept (17 bytes each); beyond it new pairs are asked of the cache.
MAX_KNOWN = 1_000_000
# Newly learnt levels become visible when the sorted arrays are rebuilt: once this many are waiting, or a
# quarter of those already known, so that rebuilding costs little over a run.
MIN_MERGE = 4_096


def _halves(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keys' first and last 8 bytes as native 64-bit integers (compared faster than bytes)."""
    halves = key_halves(keys)
    return halves[:, 0].astype(np.uint64), halves[:, 1].astype(np.uint64)


class KnownLevels:
    """A read-mostly map from pair key to level, shared by the files a step processes at once."""

    def __init__(self, max_known: int = MAX_KNOWN, min_merge: int | None = None):
        self.max_known, self.min_merge = max_known, MIN_MERGE if min_merge is None else min_merge
        empty = np.empty(0, dtype=np.uint64)
        self._known = (empty, empty, np.empty(0, dtype=np.uint8))  # sorted by first half; replaced whole
        self._waiting: list[tuple[np.ndarray, np.ndarray]] = []
        self._waiting_count = 0
        self._lock = threading.Lock()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._known[2])

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The level of each key, 0 where it is not known."""
        high, low, levels = self._known
        if not len(levels) or not len(keys):
            return np.zeros(len(keys), dtype=np.uint8)
        query_high, query_low = _halves(keys)
        at = np.minimum(np.searchsorted(high, query_high), len(high) - 1)
        found = (high[at] == query_high) & (low[at] == query_low)
        self.hits += int(np.count_nonzero(found))  # a statistic: a lost increment is harmless
        return np.where(found, levels[at], 0).astype(np.uint8, copy=False)

    def add(self, keys: np.ndarray, levels: np.ndarray) -> None:
        """Remember the levels 1..7 among `levels` (other values are misses or claims, not levels)."""
        levels = np.asarray(levels, dtype=np.uint8)
        settled = (levels >= MIN_LEVEL) & (levels <= MAX_LEVEL)
        if not settled.any():
            return
        with self._lock:
            if len(self) >= self.max_known:
                return
            self._waiting.append((keys[settled], levels[settled]))
            self._waiting_count += int(settled.sum())
            if self._waiting_count >= max(self.min_merge, len(self) // 4):
                self._merge()

    def _merge(self) -> None:
        high, low, levels = self._known
        new_high, new_low = _halves(np.concatenate([keys for keys, _ in self._waiting]))
        new_levels = np.concatenate([levels for _, levels in self._waiting])
        self._waiting, self._waiting_count = [], 0
        high, low = np.concatenate([high, new_high]), np.concatenate([low, new_low])
        levels = np.concatenate([levels, new_levels])
        order = np.lexsort((low, high))
        high, low, levels = high[order], low[order], levels[order]
        first = np.r_[True, (high[1:] != high[:-1]) | (low[1:] != low[:-1])]  # a pair learnt twice: once
        keep = first & (np.cumsum(first) <= self.max_known)
        self._known = (high[keep], low[keep], levels[keep])

    def lookup_through(self, lookup: LookupAndClaim) -> LookupAndClaim:
        """`lookup` asked only for the keys not known here; the levels it answers are remembered."""

        def known_first(keys: np.ndarray) -> np.ndarray:
            levels = self.get(keys)
            unknown = np.flatnonzero(levels == 0)
            if len(unknown):
                found = np.asarray(lookup(keys[unknown]), dtype=np.uint8)
                levels[unknown] = found
                self.add(keys[unknown], found)
            return levels

        return known_first

    def store_through(self, store: Store) -> Store:
        """`store`, remembering what it stored."""

        def stored(keys: np.ndarray, levels: np.ndarray) -> None:
            store(keys, levels)
            self.add(keys, levels)

        return stored
