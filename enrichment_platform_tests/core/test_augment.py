import numpy as np

from enrichment_platform.core.augment import assign_seniority


class DictCache:
    """A plain-dict stand-in for the Redis cache, for testing the pure augmentation logic."""

    def __init__(self):
        self.levels = {}

    def lookup(self, keys):
        return np.array([self.levels.get(int(key), 0) for key in keys], dtype=np.uint8)

    def store(self, keys, levels):
        self.levels.update(zip(keys.tolist(), levels.tolist()))


class CountingModel:
    def __init__(self):
        self.requests = []

    def infer(self, pairs):
        self.requests.extend(pairs)
        return np.array([7 if "chief" in title else 2 for _, title in pairs], dtype=np.uint8)


def test_spelling_variants_share_one_model_request():
    cache, model = DictCache(), CountingModel()
    levels, stats = assign_seniority(
        ["Acme", "ACME", " acme ", "Other"],
        ["Chief Officer", "chief  officer", "CHIEF OFFICER", "Clerk"],
        cache.lookup,
        model.infer,
        cache.store,
    )
    assert levels.tolist() == [7, 7, 7, 2]
    assert sorted(model.requests) == [("acme", "chief officer"), ("other", "clerk")]
    assert (stats.distinct_pairs, stats.cache_hits, stats.model_requests) == (2, 0, 2)


def test_cached_pairs_are_never_inferred_again():
    cache, model = DictCache(), CountingModel()
    assign_seniority(["Acme"], ["Clerk"], cache.lookup, model.infer, cache.store)
    levels, stats = assign_seniority(["acme", "Acme"], ["CLERK", "Chief"], cache.lookup, model.infer, cache.store)
    assert levels.tolist() == [2, 7]
    assert model.requests == [("acme", "clerk"), ("acme", "chief")]
    assert (stats.cache_hits, stats.model_requests) == (1, 1)


def test_empty_file():
    levels, stats = assign_seniority([], [], DictCache().lookup, CountingModel().infer, DictCache().store)
    assert len(levels) == 0 and stats.lines == 0
