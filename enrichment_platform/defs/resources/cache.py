"""The Redis cache of inferred seniority as a Dagster resource: its configuration, its client, and the
hot-path calls (lookup, claim, store, release), each one script call per shard touched (one call in all on a
single node). The key layout is described in `cache/keys.py`, the scripts are `cache/lua/*.lua`.
"""

import re
import time
from typing import Any

import dagster as dg
import numpy as np
import redis
from pydantic import Field, PrivateAttr
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from enrichment_platform.cache.admin import durability_risks
from enrichment_platform.cache.connection import connect, redis_errors
from enrichment_platform.cache.keys import (
    KEY_DTYPE,
    PAIRS_PER_BUCKET,
    TableRuns,
    check_namespace,
    meta_key,
    namespace_prefix,
    table_runs,
)
from enrichment_platform.cache.scripts import BUCKET_SCRIPTS, lua_source
from enrichment_platform.pipeline.augment import WAIT

# Keys per script call on a single node: a call blocks Redis while it runs (about 1 µs per key, more when
# it splits buckets).
CALL_KEYS = 20_000
_OWNER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SeniorityCache(dg.ConfigurableResource):
    """Seniority per (model version, pair key) in Redis; single node or Redis Cluster, found on connect."""

    redis_url: str
    claim_seconds: float = Field(
        default=120.0, description="How long a worker's claim on a pair it is inferring holds others off."
    )

    _client: Any = PrivateAttr(default=None)
    _is_cluster: bool = PrivateAttr(default=False)
    _scripts: dict = PrivateAttr(default_factory=dict)
    _ready: set = PrivateAttr(default_factory=set)

    @property
    def client(self) -> redis.Redis:
        """A client on REDIS_URL; a RedisCluster client when the server reports cluster mode."""
        if self._client is None:
            options = {
                "socket_connect_timeout": 5,
                "socket_timeout": 60,
                # Short outages (a failover, a restart) are ridden out here rather than failing the run.
                "retry": Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=4),
                "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
            }
            with redis_errors("connect", self.redis_url):
                client, self._is_cluster = connect(self.redis_url, **options)
            self._client = client
            self._scripts = {name: client.register_script(lua_source(name)) for name in BUCKET_SCRIPTS}
        return self._client

    def ping(self) -> None:
        """Fail early, with the URL in the message, when Redis is unreachable."""
        with redis_errors("ping", self.redis_url):
            self.client.ping()

    def durability_risks(self) -> list[str]:
        """How this Redis could lose cached levels silently (see `cache/admin.durability_risks`)."""
        with redis_errors("reading its settings", self.redis_url):
            return durability_risks(self.client)

    # --- namespaces -------------------------------------------------------------------------------

    def _open(self, namespace: str) -> None:
        """Record the namespace's creation once; refuse one in the fixed-size layout of earlier versions."""
        if namespace in self._ready:
            return
        check_namespace(namespace)
        meta = meta_key(namespace)
        with redis_errors("namespace setup", self.redis_url):
            self.client.hsetnx(meta, "created", int(time.time()))
            fixed = self.client.hget(meta, "bucket_bits")
        if fixed is not None:
            raise RuntimeError(
                f"cache namespace {namespace!r} has the fixed-size layout of earlier versions "
                f"({int(fixed)} bucket bits); convert it once with `enrichment-platform cache migrate "
                f"{namespace}` (runs of this namespace wait meanwhile)"
            )
        self._ready.add(namespace)

    # --- lookups and writes -----------------------------------------------------------------------

    def _parts(self, runs: TableRuns) -> list[TableRuns]:
        """The script calls for sorted keys, in order: one per table on a cluster (a table's keys share a
        slot); on a single node, calls of at most CALL_KEYS keys, which bound how long one call blocks."""
        if self._is_cluster:
            return runs.split_by_table()
        if len(runs.order) <= CALL_KEYS:
            return [runs]
        return [runs.slice_keys(start, start + CALL_KEYS) for start in range(0, len(runs.order), CALL_KEYS)]

    def _call(self, script: str, namespace: str, part: TableRuns, *extra):
        """Run a bucket script over one part's keys."""
        prefix = namespace_prefix(namespace)
        routing_key = f"{prefix}{{{part.tags[0]:02x}}}" if self._is_cluster else prefix
        with redis_errors(script, self.redis_url):
            return self._scripts[script](
                keys=[routing_key],
                args=[prefix, part.tags, part.counts, part.fields, PAIRS_PER_BUCKET, *extra],
            )

    def _lookup(self, namespace: str, keys: np.ndarray, mode: str, owner: str = "") -> np.ndarray:
        if len(keys) == 0:
            return np.zeros(0, dtype=np.uint8)
        self._open(namespace)
        runs = table_runs(keys)
        claim_ms = int(self.claim_seconds * 1000)
        replies = [self._call("lookup", namespace, part, mode, claim_ms, owner) for part in self._parts(runs)]
        codes = np.frombuffer(b"".join(replies), dtype=np.uint8)
        sorted_levels = np.where(codes == ord("w"), WAIT, codes - ord("0")).astype(np.uint8)
        levels = np.empty(len(keys), dtype=np.uint8)
        levels[runs.order] = sorted_levels
        return levels

    def lookup(self, namespace: str, keys: np.ndarray) -> np.ndarray:
        """Cached level per key (uint8), 0 where the pair was never inferred for this namespace."""
        return self._lookup(namespace, keys, "read")

    def lookup_and_claim(self, namespace: str, keys: np.ndarray, owner: str) -> np.ndarray:
        """Like `lookup`, but each miss is claimed for `owner` (0) unless another owner holds a live claim
        on it (WAIT); claims expire after `claim_seconds`, so a crashed worker blocks no one."""
        if not _OWNER.match(owner):
            raise ValueError(f"claim owner {owner!r} must be 1-64 letters, digits, '-' or '_'")
        return self._lookup(namespace, keys, "claim", owner)

    def store(self, namespace: str, keys: np.ndarray, levels: np.ndarray) -> None:
        """Remember each key's inferred level (1..7) for this namespace, replacing claims."""
        if len(keys) == 0:
            return
        self._open(namespace)
        self._store(namespace, keys, levels)

    def _store(self, namespace: str, keys: np.ndarray, levels: np.ndarray) -> None:
        runs = table_runs(keys)
        digits = (np.asarray(levels, dtype=np.uint8)[runs.order] + ord("0")).tobytes()
        offset = 0
        for part in self._parts(runs):  # levels follow the keys: each call gets its keys' slice
            self._call("store", namespace, part, digits[offset : offset + len(part.order)])
            offset += len(part.order)

    def migrate(self, namespace: str) -> int:
        """Convert a namespace of the fixed-size layout of earlier versions (`bucket_bits` in its meta) to
        the growing one, bucket by bucket: its levels are stored in the new layout before the old bucket is
        deleted, so an interrupted migration loses nothing and can be run again. Returns the levels moved."""
        check_namespace(namespace)
        meta, prefix = meta_key(namespace), namespace_prefix(namespace)
        moved = 0
        with redis_errors("migrating a namespace", self.redis_url):
            if self.client.hget(meta, "bucket_bits") is None:
                return 0
            batch_keys, batch_levels, batch_buckets = [], [], []
            # Old buckets are named prefix{tt} and 3 raw bytes; the new ones have 4.
            for bucket in self.client.scan_iter(match=f"{prefix}{{??}}???", count=1000):
                tag = bytes([int(bucket[len(prefix) + 1 : len(prefix) + 3], 16)])
                for field, value in self.client.hgetall(bucket).items():
                    if len(value) == 1:  # a level (claims are not carried over)
                        batch_keys.append(
                            tag + bytes(7) + field
                        )  # the layout reads the first 6 bits and the last 8 bytes
                        batch_levels.append(int(value))
                batch_buckets.append(bucket)
                if len(batch_keys) >= CALL_KEYS:
                    moved += self._migrate_batch(namespace, batch_keys, batch_levels, batch_buckets)
                    batch_keys, batch_levels, batch_buckets = [], [], []
            moved += self._migrate_batch(namespace, batch_keys, batch_levels, batch_buckets)
            self.client.hdel(meta, "bucket_bits", "pairs")
        self._ready.discard(namespace)
        return moved

    def _migrate_batch(self, namespace: str, keys: list, levels: list, buckets: list) -> int:
        if keys:
            self._store(namespace, np.frombuffer(b"".join(keys), dtype=KEY_DTYPE), np.array(levels, np.uint8))
        for bucket in buckets:
            self.client.delete(bucket)
        return len(keys)

    def release(self, namespace: str, keys: np.ndarray, owner: str) -> None:
        """Drop `owner`'s claims on keys it will not store (its inference failed)."""
        if len(keys) == 0:
            return
        self._open(namespace)
        for part in self._parts(table_runs(keys)):
            self._call("release", namespace, part, owner)
