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
    BucketRuns,
    bucket_bits_for,
    bucket_names,
    bucket_runs,
    check_namespace,
    meta_key,
    namespace_prefix,
)
from enrichment_platform.cache.scripts import BUCKET_SCRIPTS, lua_source
from enrichment_platform.pipeline.augment import WAIT

_OWNER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SeniorityCache(dg.ConfigurableResource):
    """Seniority per (model version, pair key) in Redis; single node or Redis Cluster, found on connect."""

    redis_url: str
    expected_pairs: int = Field(
        default=20_000_000,
        description="Pairs a namespace is sized for: sets its bucket count when it is created (see README).",
    )
    claim_seconds: float = Field(
        default=120.0, description="How long a worker's claim on a pair it is inferring holds others off."
    )

    _client: Any = PrivateAttr(default=None)
    _is_cluster: bool = PrivateAttr(default=False)
    _scripts: dict = PrivateAttr(default_factory=dict)
    _bucket_bits: dict = PrivateAttr(default_factory=dict)

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

    def bucket_bits(self, namespace: str) -> int:
        """The namespace's bucket bits: fixed by the first writer from `expected_pairs`, then read back."""
        if namespace not in self._bucket_bits:
            check_namespace(namespace)
            meta = meta_key(namespace)
            with redis_errors("namespace setup", self.redis_url):
                self.client.hsetnx(meta, "bucket_bits", bucket_bits_for(self.expected_pairs))
                self.client.hsetnx(meta, "created", int(time.time()))
                self._bucket_bits[namespace] = int(self.client.hget(meta, "bucket_bits"))
        return self._bucket_bits[namespace]

    # --- lookups and writes -----------------------------------------------------------------------

    def _call(self, script: str, namespace: str, runs: BucketRuns, *extra) -> list:
        """Run a script over packed bucket runs: once on a single node, once per shard on a cluster."""
        prefix = namespace_prefix(namespace)
        parts = runs.split_by_shard() if self._is_cluster else [runs]
        results = []
        with redis_errors(script, self.redis_url):
            for part in parts:
                routing_key = f"{prefix}{{{part.shards[0]:02x}}}" if self._is_cluster else prefix
                results.append(
                    self._scripts[script](
                        keys=[routing_key],
                        args=[
                            bucket_names(prefix.encode(), part.buckets),
                            len(prefix) + 7,
                            part.counts,
                            part.fields,
                            *extra,
                        ],
                    )
                )
        return results

    def _lookup(self, namespace: str, keys: np.ndarray, mode: str, owner: str = "") -> np.ndarray:
        if len(keys) == 0:
            return np.zeros(0, dtype=np.uint8)
        runs = bucket_runs(keys, self.bucket_bits(namespace))
        replies = self._call("lookup", namespace, runs, mode, int(self.claim_seconds * 1000), owner)
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
        runs = bucket_runs(keys, self.bucket_bits(namespace))
        digits = (np.asarray(levels, dtype=np.uint8)[runs.order] + ord("0")).tobytes()
        if self._is_cluster:
            # Levels follow the keys, so each shard's call gets its own slice.
            offset = 0
            for part in runs.split_by_shard():
                count = len(part.order)
                self._call("store", namespace, part, digits[offset : offset + count])
                offset += count
        else:
            self._call("store", namespace, runs, digits)
        # Counted here rather than by reading every field before writing it, which would cost a lot: single
        # flight stores each pair once, so this is the pair count (a pair whose claim ran out
        # mid-inference may be stored, and counted, twice).
        with redis_errors("store", self.redis_url):
            self.client.hincrby(meta_key(namespace), "pairs", len(keys))

    def release(self, namespace: str, keys: np.ndarray, owner: str) -> None:
        """Drop `owner`'s claims on keys it will not store (its inference failed)."""
        if len(keys) == 0:
            return
        self._call("release", namespace, bucket_runs(keys, self.bucket_bits(namespace)), owner)
