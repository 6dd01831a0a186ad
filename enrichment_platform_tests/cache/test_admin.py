"""Operator work on cache namespaces against real Redis: listing them with their size, dropping one."""

import numpy as np
import pytest
import redis

from enrichment_platform.cache.admin import drop_namespace, durability_risks, namespaces
from enrichment_platform.cache.keys import pair_keys
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.devstack.redis_server import start_redis

pytestmark = pytest.mark.integration


def keys(n: int) -> np.ndarray:
    return pair_keys([("acme", f"title {i}") for i in range(n)])


def levels_for(n: int) -> np.ndarray:
    return (np.arange(n) % 7 + 1).astype(np.uint8)


def test_namespaces_are_listed_and_dropped(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    cache.store("sm-old", keys(100), levels_for(100))
    cache.store("sm-new", keys(50), levels_for(50))
    # 64 tables of one bucket each: they split once they hold more than 48 pairs per bucket.
    assert {(info.name, info.pairs, info.buckets) for info in namespaces(cache.client)} == {
        ("sm-old", 100, 64),
        ("sm-new", 50, 64),
    }
    assert drop_namespace(cache.client, "sm-old") > 0
    assert [info.name for info in namespaces(cache.client)] == ["sm-new"]
    assert cache.lookup("sm-new", keys(50)).tolist() == levels_for(50).tolist()


def test_a_namespace_name_that_is_a_pattern_is_refused_before_anything_is_dropped(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    cache.store("v1", keys(5), levels_for(5))
    with pytest.raises(ValueError, match="cache namespace 'v\\*' must match"):
        drop_namespace(cache.client, "v*")
    assert [info.name for info in namespaces(cache.client)] == ["v1"]


@pytest.mark.parametrize(
    ("args", "settings", "expected"),
    [
        (
            ("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"),
            {},
            ["maxmemory-policy", "no persistence"],
        ),
        (("--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru", "--appendonly", "yes"), {}, []),
        ((), {"save": "900 1"}, []),  # RDB snapshots
    ],
)
def test_durability_risks_name_an_evicting_policy_and_missing_persistence(tmp_path, args, settings, expected):
    with start_redis(tmp_path, args=args) as server:
        client = redis.Redis.from_url(server.url)
        for name, value in settings.items():
            client.config_set(name, value)
        risks = durability_risks(client)
        client.close()
    assert len(risks) == len(expected) and all(risk.startswith(start) for risk, start in zip(risks, expected))
