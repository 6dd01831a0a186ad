"""Seniority for every posting of a file: dedupe normalized pairs, read the cache, infer only the misses."""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from enrichment_platform.core.keys import pair_keys
from enrichment_platform.core.normalize import normalize_pair

Lookup = Callable[[np.ndarray], np.ndarray]  # fingerprints -> levels, 0 where not cached
Infer = Callable[[list[tuple[str, str]]], np.ndarray]  # normalized pairs -> levels 1..7
Store = Callable[[np.ndarray, np.ndarray], None]  # fingerprints, levels


@dataclass
class AugmentStats:
    """What one file cost: pairs seen, cache hits, model requests, and seconds per stage."""

    lines: int = 0
    distinct_pairs: int = 0
    cache_hits: int = 0
    model_requests: int = 0
    seconds_normalize: float = 0.0
    seconds_cache_read: float = 0.0
    seconds_model: float = 0.0
    seconds_cache_write: float = 0.0


def assign_seniority(
    companies: list[str], titles: list[str], lookup: Lookup, infer: Infer, store: Store
) -> tuple[np.ndarray, AugmentStats]:
    """Seniority per posting (uint8, input order); the model sees each uncached normalized pair once."""
    started = time.perf_counter()
    pairs = [normalize_pair(company, title) for company, title in zip(companies, titles)]
    stats = AugmentStats(lines=len(pairs))
    if not pairs:
        return np.zeros(0, dtype=np.uint8), stats
    keys = pair_keys(pairs)
    unique_keys, first_index, inverse = np.unique(keys, return_index=True, return_inverse=True)
    stats.distinct_pairs = len(unique_keys)
    stats.seconds_normalize = time.perf_counter() - started

    started = time.perf_counter()
    levels = np.asarray(lookup(unique_keys), dtype=np.uint8)
    stats.seconds_cache_read = time.perf_counter() - started
    missing = np.flatnonzero(levels == 0)
    stats.cache_hits = stats.distinct_pairs - len(missing)
    if len(missing):
        # Send the normalized pair: the answer is then a function of the cache identity, not of which
        # spelling variant happened to come first.
        started = time.perf_counter()
        inferred = np.asarray(infer([pairs[i] for i in first_index[missing]]), dtype=np.uint8)
        stats.seconds_model = time.perf_counter() - started
        stats.model_requests = len(missing)
        levels[missing] = inferred
        started = time.perf_counter()
        store(unique_keys[missing], inferred)
        stats.seconds_cache_write = time.perf_counter() - started
    return levels[inverse], stats
