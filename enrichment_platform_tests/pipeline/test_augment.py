import numpy as np
import pytest

from enrichment_platform.pipeline.augment import WAIT, distinct_pairs, seniority_of_pairs


class DictCache:
    """A plain-dict stand-in for the Redis cache with the same claim semantics, for the pure logic."""

    def __init__(self):
        self.levels = {}
        self.claims = {}
        self.released = []

    def lookup_and_claim(self, keys):
        out = []
        for key in keys.tolist():
            if key in self.levels:
                out.append(self.levels[key])
            elif key in self.claims:
                out.append(WAIT)
            else:
                self.claims[key] = "me"
                out.append(0)
        return np.array(out, dtype=np.uint8)

    def store(self, keys, levels):
        for key, level in zip(keys.tolist(), levels.tolist()):
            self.levels[key] = level
            self.claims.pop(key, None)

    def release(self, keys):
        self.released.extend(keys.tolist())


class CountingModel:
    def __init__(self):
        self.requests = []

    def infer(self, pairs):
        self.requests.extend(pairs)
        return np.array([7 if "chief" in title else 2 for _, title in pairs], dtype=np.uint8)


def run(cache, model, companies, titles, **options):
    """Seniority per posting of one file's postings, with the cache and model given."""
    return seniority_of_pairs(
        distinct_pairs(companies, titles),
        cache.lookup_and_claim,
        model.infer,
        cache.store,
        cache.release,
        **options,
    )


def test_spelling_variants_share_one_model_request():
    cache, model = DictCache(), CountingModel()
    levels, stats = run(
        cache,
        model,
        ["Acme", "ACME", " acme ", "Other"],
        ["Chief Officer", "chief  officer", "CHIEF OFFICER", "Clerk"],
    )
    assert levels.tolist() == [7, 7, 7, 2]
    assert sorted(model.requests) == [("acme", "chief officer"), ("other", "clerk")]
    assert (stats.distinct_pairs, stats.cache_hits, stats.model_requests) == (2, 0, 2)


def test_cached_pairs_are_never_inferred_again():
    cache, model = DictCache(), CountingModel()
    run(cache, model, ["Acme"], ["Clerk"])
    levels, stats = run(cache, model, ["acme", "Acme"], ["CLERK", "Chief"])
    assert levels.tolist() == [2, 7]
    assert model.requests == [("acme", "clerk"), ("acme", "chief")]
    assert (stats.cache_hits, stats.model_requests) == (1, 1)


def test_a_pair_claimed_by_another_worker_is_waited_for_not_inferred():
    cache, model = DictCache(), CountingModel()
    run(cache, model, ["Acme"], ["Clerk"])
    other_key = next(iter(cache.levels))
    cache.levels.pop(other_key)
    cache.claims[other_key] = "another worker"

    def other_worker_finishes(seconds):
        cache.store(np.array([other_key], dtype=np.array([other_key]).dtype), np.array([4], dtype=np.uint8))

    levels, stats = run(cache, model, ["Acme"], ["Clerk"], sleep=other_worker_finishes)
    assert levels.tolist() == [4]
    assert model.requests == [("acme", "clerk")]  # only the first run's request
    assert (stats.waited_for_others, stats.model_requests) == (1, 0)


def test_failed_inference_gives_its_claims_back():
    cache = DictCache()

    def broken_model(pairs):
        raise ConnectionError("model down")

    with pytest.raises(ConnectionError):
        seniority_of_pairs(
            distinct_pairs(["Acme"], ["Clerk"]),
            cache.lookup_and_claim,
            broken_model,
            cache.store,
            cache.release,
        )
    assert len(cache.released) == 1


def test_empty_file():
    cache = DictCache()
    levels, stats = run(cache, CountingModel(), [], [])
    assert len(levels) == 0 and stats.lines == 0
