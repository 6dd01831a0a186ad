"""The Redis cache resource against a real Redis."""

import numpy as np
import pytest
import redis

from enrichment_platform.devstack.services import free_port
from enrichment_platform.resources.cache import CacheUnavailableError, SeniorityCache, redacted_url

pytestmark = pytest.mark.integration


def keys(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**64 - 1, size=n, dtype=np.uint64)


def test_stored_levels_come_back_and_unknown_pairs_are_misses(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    stored, unknown = keys(500, seed=1), keys(100, seed=2)
    levels = (np.arange(500) % 7 + 1).astype(np.uint8)
    cache.store("v1", stored, levels)
    assert cache.lookup("v1", stored).tolist() == levels.tolist()
    assert cache.lookup("v1", unknown).tolist() == [0] * 100
    assert cache.lookup("v1", np.zeros(0, dtype=np.uint64)).tolist() == []


def test_model_versions_do_not_share_entries(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    cache.store("v1", keys(10), np.full(10, 3, dtype=np.uint8))
    assert cache.lookup("v2", keys(10)).tolist() == [0] * 10


def test_buckets_stay_compact_listpacks(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis, bucket_bits=8)
    cache.store("v1", keys(5_000), np.full(5_000, 2, dtype=np.uint8))
    client = redis.Redis.from_url(clean_redis)
    sample = next(client.scan_iter(match="sen:v1:*", count=1000))
    assert client.object("encoding", sample) == b"listpack"


def test_unreachable_redis_names_the_url_without_the_password():
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(CacheUnavailableError) as error:
        SeniorityCache(redis_url=url).ping()
    assert "redis://:***@127.0.0.1" in str(error.value) and "hunter2" not in str(error.value)
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
