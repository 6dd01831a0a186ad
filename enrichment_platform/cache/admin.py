"""Operator work on the cache's namespaces (one per model version): list them with their size, drop one.

Functions on a Redis client (`connection.connect`); Redis errors are the caller's to report, e.g. within
`connection.redis_errors`.
"""

from dataclasses import dataclass

import redis

from enrichment_platform.cache.keys import (
    META_KEY_SUFFIX,
    NAMESPACE_KEY_PREFIX,
    TABLES,
    check_namespace,
    meta_key,
    namespace_prefix,
    tag_key,
)

SCAN_COUNT = 1000
UNLINK_BATCH = 500


@dataclass
class NamespaceInfo:
    """What a namespace's meta and table states say about it."""

    name: str
    pairs: int  # fields held: levels, and claims while pairs are inferred
    buckets: int
    created: float
    fixed_bucket_bits: int | None = None  # the fixed-size layout of earlier versions: to migrate


def namespaces(client: redis.Redis) -> list[NamespaceInfo]:
    """Every namespace in this Redis with its pairs and buckets, oldest first."""
    infos = []
    for key in client.scan_iter(match=meta_key("*"), count=SCAN_COUNT):
        name = key.decode().removeprefix(NAMESPACE_KEY_PREFIX).removesuffix(META_KEY_SUFFIX)
        meta = {k.decode(): v.decode() for k, v in client.hgetall(key).items()}
        created = float(meta.get("created", 0))
        if "bucket_bits" in meta:
            bits = int(meta["bucket_bits"])
            infos.append(NamespaceInfo(name, int(meta.get("pairs", 0)), 2**bits, created, bits))
            continue
        pipe = client.pipeline(transaction=False)
        for tag in range(TABLES):
            pipe.hmget(tag_key(name, tag), "l", "s", "n")
        states = [[int(value or 0) for value in state] for state in pipe.execute()]
        pairs = sum(n for _, _, n in states)
        buckets = sum(2**level + split for level, split, _ in states)
        infos.append(NamespaceInfo(name, pairs, buckets, created))
    return sorted(infos, key=lambda info: info.created)


def namespace_keys(client: redis.Redis, namespace: str) -> tuple[list[bytes], list[bytes]]:
    """A namespace's table states (`sen:<ns>:{tt}`) and its buckets (`sen:<ns>:{tt}` and a 4-byte id)."""
    check_namespace(namespace)
    state_length = len(tag_key(namespace, 0))
    names = list(client.scan_iter(match=f"{namespace_prefix(namespace)}{{*", count=SCAN_COUNT))
    return [name for name in names if len(name) == state_length], [
        name for name in names if len(name) == state_length + 4
    ]


def bucket_encodings(client: redis.Redis, namespace: str) -> dict[str, int]:
    """How many of a namespace's buckets have each encoding (compact: `listpack`, `ziplist` on Redis 6)."""
    counts: dict[str, int] = {}
    buckets = namespace_keys(client, namespace)[1]
    for start in range(0, len(buckets), SCAN_COUNT):
        pipe = client.pipeline(transaction=False)
        for name in buckets[start : start + SCAN_COUNT]:
            pipe.object("encoding", name)
        for encoding in pipe.execute():
            counts[encoding.decode()] = counts.get(encoding.decode(), 0) + 1
    return counts


def drop_namespace(client: redis.Redis, namespace: str) -> int:
    """Delete a namespace's buckets and meta; returns the number of keys removed."""
    check_namespace(namespace)
    removed = 0
    batch = []
    for key in client.scan_iter(match=f"{namespace_prefix(namespace)}*", count=SCAN_COUNT):
        batch.append(key)
        if len(batch) == UNLINK_BATCH:
            removed += _unlink(client, batch)
            batch = []
    return removed + _unlink(client, batch)


def _unlink(client: redis.Redis, keys: list[bytes]) -> int:
    if not keys:
        return 0
    if isinstance(client, redis.RedisCluster):
        return sum(client.unlink(key) for key in keys)  # a cluster unlinks only keys of one slot at once
    return client.unlink(*keys)


def _each_primary(client: redis.Redis, call):
    """`call(node_or_None)` on every primary of a Redis Cluster, or once on a single server."""
    if isinstance(client, redis.RedisCluster):
        return [call(node) for node in client.get_primaries()]
    return [call(None)]


def durability_risks(client: redis.Redis) -> list[str]:
    """What could make this Redis lose cached levels without an error: an eviction policy that drops keys
    without a TTL once `maxmemory` is reached (`allkeys-*`), and no persistence at all (no AOF, no RDB
    snapshots), where a restart empties the cache. A setting the server refuses to show (managed services
    often disable CONFIG) is not reported."""
    risks = []
    target = lambda node: {} if node is None else {"target_nodes": node}  # noqa: E731
    for memory in _each_primary(client, lambda node: client.info("memory", **target(node))):
        policy, limit = memory.get("maxmemory_policy", "noeviction"), int(memory.get("maxmemory", 0))
        if limit and str(policy).startswith("allkeys-"):
            risks.append(
                f"maxmemory-policy {policy} with maxmemory {limit:,} bytes evicts cached levels once Redis "
                "is full (set noeviction, or volatile-*: the cache's keys have no TTL)"
            )
            break
    for persistence in _each_primary(client, lambda node: client.info("persistence", **target(node))):
        if int(persistence.get("aof_enabled", 0)):
            continue
        try:
            saves = _each_primary(client, lambda node: client.config_get("save", **target(node)))
        except redis.ResponseError:
            break  # CONFIG refused: persistence unknown
        if any(not str(save.get("save", "")).strip() for save in saves):
            risks.append('no persistence (appendonly no, save ""): a restart of Redis empties the cache')
        break
    return risks
