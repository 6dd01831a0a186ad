"""Seniority for every posting of a file: dedupe normalized pairs, read the cache, infer only the misses.

Concurrent workers share the cache: a lookup claims the misses it returns, so a pair another worker is
inferring right now comes back as WAIT and is read again shortly instead of being sent to the model twice.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from enrichment_platform.cache.keys import spelling_keys
from enrichment_platform.postings.normalize import normalize_pair
from enrichment_platform.postings.template import level_counts
from enrichment_platform.seniority.scale import MAX_LEVEL, MIN_LEVEL

WAIT = 255  # lookup result: another worker holds a live claim on the pair

LookupAndClaim = Callable[[np.ndarray], np.ndarray]  # keys -> levels; 0: claimed by us, WAIT: by another
Infer = Callable[[list[tuple[str, str]]], np.ndarray]  # normalized pairs -> levels 1..7
Store = Callable[[np.ndarray, np.ndarray], None]  # keys, levels
Release = Callable[[np.ndarray], None]  # keys whose claims we give up


@dataclass
class AugmentStats:
    """What one file cost: pairs seen, cache hits, model requests, and seconds per stage."""

    lines: int = 0
    distinct_pairs: int = 0
    cache_hits: int = 0
    waited_for_others: int = 0
    model_requests: int = 0
    seconds_normalize: float = 0.0
    seconds_cache_read: float = 0.0
    seconds_model: float = 0.0
    seconds_cache_write: float = 0.0
    seconds_waiting: float = 0.0


@dataclass
class DistinctPairs:
    """A file's postings reduced to their distinct normalized pairs: what the cache and the model work on."""

    keys: np.ndarray  # distinct pair keys (KEY_DTYPE), sorted
    inverse: np.ndarray  # per posting, in input order: the index of its pair's key
    # One spelling (company, title) per key, as first seen; called only when some pair must be inferred.
    spellings: Callable[[], list[tuple[str, str]]]


def distinct_pairs(companies: list[str], titles: list[str]) -> DistinctPairs:
    """Normalize and fingerprint a file's pairs, each distinct spelling once."""
    # Postings repeat exact spellings far more often than they differ: normalize each spelling once.
    spelling_index: dict[tuple[str, str], int] = {}
    line_spelling = np.fromiter(
        (spelling_index.setdefault(pair, len(spelling_index)) for pair in zip(companies, titles)),
        dtype=np.int64,
        count=len(titles),
    )
    spellings = list(spelling_index)
    keys = spelling_keys(spellings)
    unique_keys, first_index, spelling_inverse = np.unique(keys, return_index=True, return_inverse=True)
    key_spellings = [spellings[i] for i in first_index.tolist()]
    return DistinctPairs(
        keys=unique_keys,
        inverse=spelling_inverse.astype(np.int32)[line_spelling],
        spellings=lambda: key_spellings,
    )


def seniority_of_pairs(
    pairs: DistinctPairs,
    lookup: LookupAndClaim,
    infer: Infer,
    store: Store,
    release: Release = lambda keys: None,
    poll_seconds: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
    seconds_normalize: float = 0.0,
) -> tuple[np.ndarray, AugmentStats]:
    """Seniority per posting of a file already reduced to its distinct pairs: look the keys up (claiming the
    misses), infer what this worker claimed, store it, and wait for pairs other workers are inferring."""
    unique_keys = pairs.keys
    stats = AugmentStats(
        lines=len(pairs.inverse), distinct_pairs=len(unique_keys), seconds_normalize=seconds_normalize
    )
    levels = np.zeros(len(unique_keys), dtype=np.uint8)
    pending = np.arange(len(unique_keys))
    first_round = True
    while len(pending):
        started = time.perf_counter()
        found = np.asarray(lookup(unique_keys[pending]), dtype=np.uint8)
        stats.seconds_cache_read += time.perf_counter() - started
        cached = (found >= MIN_LEVEL) & (found <= MAX_LEVEL)
        levels[pending[cached]] = found[cached]
        if first_round:
            stats.cache_hits = int(cached.sum())
        else:
            stats.waited_for_others += int(cached.sum())
        mine = pending[found == 0]
        if len(mine):
            _infer_and_store(mine, unique_keys, pairs.spellings, levels, infer, store, release, stats)
        pending = pending[found == WAIT]
        if len(pending):
            started = time.perf_counter()
            sleep(poll_seconds)
            stats.seconds_waiting += time.perf_counter() - started
        first_round = False
    return levels[pairs.inverse], stats


def level_facts(levels: np.ndarray, stats: AugmentStats) -> dict:
    """What the manifests and checks record of a file's (or a part's) levels and their cost."""
    counts = level_counts(levels)
    return {
        "lines": stats.lines,
        "levels": counts,
        "out_of_range": stats.lines - sum(counts),
        "distinct_pairs": stats.distinct_pairs,
        "cache_hits": stats.cache_hits,
        "waited_for_others": stats.waited_for_others,
        "model_requests": stats.model_requests,
    }


def _infer_and_store(mine, unique_keys, spellings, levels, infer, store, release, stats) -> None:
    """Infer the pairs this worker claimed and store them; on failure give the claims back."""
    claimed = unique_keys[mine]
    try:
        # Send the normalized pair: the answer is then a function of the cache identity, not of which
        # spelling variant happened to come first.
        started = time.perf_counter()
        key_spellings = spellings()
        inferred = np.asarray(
            infer([normalize_pair(*key_spellings[i]) for i in mine.tolist()]), dtype=np.uint8
        )
        stats.seconds_model += time.perf_counter() - started
        stats.model_requests += len(mine)
        started = time.perf_counter()
        store(claimed, inferred)
        stats.seconds_cache_write += time.perf_counter() - started
    except BaseException as error:
        try:
            release(claimed)
        except Exception as release_error:  # the claims expire on their own; the first error is what matters
            error.add_note(f"giving back the claims failed too: {release_error}")
        raise
    levels[mine] = inferred
