"""The Redis cache of inferred seniority: one namespace per model version, pairs packed in listpack buckets.

Layout of a namespace `ns`:
- `sen:ns:meta`: a hash with `bucket_bits` (fixed when the namespace is created), `pairs` (stored), `created`.
- `sen:ns:{ss}BBB`: a hash per bucket (ss = the bucket id's first byte in hex, the cluster hash tag, so a
  shard's buckets share a slot; BBB the id's other three bytes), whose fields are the pairs' last 8 key
  bytes and whose values are the level ("1".."7"),
  or, while a worker infers the pair, a claim `c<expiry ms>:<worker>`.
Every lookup, claim and store is one script call per shard touched (one call in all on a single node).
"""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dagster as dg
import numpy as np
import redis
from pydantic import Field, PrivateAttr
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from enrichment_platform.cache.keys import BucketRuns, bucket_bits_for, bucket_names, bucket_runs
from enrichment_platform.pipeline.augment import WAIT

_NAMESPACE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Every script walks the same packed arguments: ARGV[1] the bucket keys' names (fixed width, ARGV[2] bytes
# each), ARGV[3] keys per bucket (4 bytes each, big-endian), ARGV[4] fields (8 bytes per key).
_BUCKETS = """
local names, width, counts, fields = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local sub, byte, call = string.sub, string.byte, redis.call
local buckets = #counts / 4
local function bucket(b)
  local c1, c2, c3, c4 = byte(counts, b * 4 + 1, b * 4 + 4)
  return sub(names, b * width + 1, b * width + width), ((c1 * 256 + c2) * 256 + c3) * 256 + c4
end
local function field(k) return sub(fields, k * 8 + 1, k * 8 + 8) end
"""

_LOOKUP = (
    _BUCKETS
    + """
local claim = ARGV[5] == 'claim'
local now, token, owner
if claim then
  local t = call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  owner = ARGV[7]
  token = 'c' .. (now + tonumber(ARGV[6])) .. ':' .. owner
end
-- A field without a level: claim it for `owner` ('0') unless another owner's claim is still live ('w').
local function settle(key, f, v)
  if v then
    local expiry, holder = string.match(v, '^c(%d+):(.*)$')
    if holder ~= owner and not (expiry and tonumber(expiry) <= now) then return 'w' end
  end
  call('HSET', key, f, token)
  return '0'
end
local out, k = {}, 0
for b = 0, buckets - 1 do
  local key, n = bucket(b)
  if n == 1 then  -- the common case for a file's batch in a large cache: no tables to build
    local f = field(k)
    local v = call('HGET', key, f)
    k = k + 1
    if v and #v == 1 then out[k] = v elseif claim then out[k] = settle(key, f, v) else out[k] = '0' end
  else
    local last = k + n
    while k < last do
      local m = last - k
      if m > 512 then m = 512 end
      local f, base = {}, k * 8
      for j = 1, m do f[j] = sub(fields, base + j * 8 - 7, base + j * 8) end
      local values = call('HMGET', key, unpack(f))
      for j = 1, m do
        local v = values[j]
        if v and #v == 1 then out[k + j] = v elseif claim then out[k + j] = settle(key, f[j], v) else out[k + j] = '0' end
      end
      k = k + m
    end
  end
end
return table.concat(out)
"""
)

_STORE = (
    _BUCKETS
    + """
local levels = ARGV[5]
local k = 0
for b = 0, buckets - 1 do
  local key, n = bucket(b)
  local last = k + n
  while k < last do
    local m = last - k
    if m > 256 then m = 256 end
    local pairs = {}
    for j = 1, m do
      pairs[2 * j - 1] = field(k + j - 1)
      pairs[2 * j] = sub(levels, k + j, k + j)
    end
    call('HSET', key, unpack(pairs))
    k = k + m
  end
end
return k
"""
)

_RELEASE = (
    _BUCKETS
    + """
local owner = ARGV[5]
local released, k = 0, 0
for b = 0, buckets - 1 do
  local key, n = bucket(b)
  local last = k + n
  while k < last do
    local name = field(k)
    local v = call('HGET', key, name)
    if v and string.match(v, '^c%d+:(.*)$') == owner then
      call('HDEL', key, name)
      released = released + 1
    end
    k = k + 1
  end
end
return released
"""
)


class CacheUnavailableError(RuntimeError):
    """Redis could not be reached or failed a command (infrastructure, retried by Dagster)."""


def redacted_url(url: str) -> str:
    """A Redis URL with its password hidden, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(redis_url: str, **options: Any) -> tuple[redis.Redis, bool]:
    """A client on `redis_url`, and whether the server is a Redis Cluster (the client is then a RedisCluster)."""
    client = redis.Redis.from_url(redis_url, **options)
    if not client.info("cluster").get("cluster_enabled"):
        return client, False
    client.close()
    return redis.RedisCluster.from_url(redis_url, socket_connect_timeout=5), True


@dataclass
class NamespaceInfo:
    """What `sen:<name>:meta` says about a namespace."""

    name: str
    bucket_bits: int
    pairs: int
    created: float


class SeniorityCache(dg.ConfigurableResource):
    """Seniority per (model version, pair key) in Redis; single node or Redis Cluster, found out on connect."""

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

    @contextmanager
    def _redis_errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as error:
            raise CacheUnavailableError(
                f"Redis {action} failed at {redacted_url(self.redis_url)}: {error}. "
                "Check REDIS_URL and that Redis is up."
            ) from error

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
            with self._redis_errors("connect"):
                client, self._is_cluster = connect(self.redis_url, **options)
            self._client = client
            self._scripts = {
                name: client.register_script(source)
                for name, source in (("lookup", _LOOKUP), ("store", _STORE), ("release", _RELEASE))
            }
        return self._client

    def ping(self) -> None:
        """Fail early, with the URL in the message, when Redis is unreachable."""
        with self._redis_errors("ping"):
            self.client.ping()

    # --- namespaces -------------------------------------------------------------------------------

    @staticmethod
    def _meta_key(namespace: str) -> str:
        return f"sen:{namespace}:meta"

    def bucket_bits(self, namespace: str) -> int:
        """The namespace's bucket bits: fixed by the first writer from `expected_pairs`, then read back."""
        if namespace not in self._bucket_bits:
            if not _NAMESPACE.match(namespace):
                raise ValueError(f"cache namespace {namespace!r} must match {_NAMESPACE.pattern}")
            meta = self._meta_key(namespace)
            with self._redis_errors("namespace setup"):
                self.client.hsetnx(meta, "bucket_bits", bucket_bits_for(self.expected_pairs))
                self.client.hsetnx(meta, "created", int(time.time()))
                self._bucket_bits[namespace] = int(self.client.hget(meta, "bucket_bits"))
        return self._bucket_bits[namespace]

    def namespaces(self) -> list[NamespaceInfo]:
        """Every namespace in this Redis with its pair count and sizing."""
        infos = []
        with self._redis_errors("scan"):
            for key in self.client.scan_iter(match="sen:*:meta", count=1000):
                name = key.decode()[len("sen:") : -len(":meta")]
                meta = {k.decode(): v.decode() for k, v in self.client.hgetall(key).items()}
                infos.append(
                    NamespaceInfo(
                        name,
                        int(meta.get("bucket_bits", 0)),
                        int(meta.get("pairs", 0)),
                        float(meta.get("created", 0)),
                    )
                )
        return sorted(infos, key=lambda info: info.created)

    def drop_namespace(self, namespace: str) -> int:
        """Delete a namespace's buckets and meta; returns the number of keys removed."""
        if not _NAMESPACE.match(namespace):
            raise ValueError(f"cache namespace {namespace!r} must match {_NAMESPACE.pattern}")
        removed = 0
        with self._redis_errors("drop"):
            batch = []
            for key in self.client.scan_iter(match=f"sen:{namespace}:*", count=1000):
                batch.append(key)
                if len(batch) == 500:
                    removed += self._unlink(batch)
                    batch = []
            removed += self._unlink(batch)
        self._bucket_bits.pop(namespace, None)
        return removed

    def _unlink(self, keys: list[bytes]) -> int:
        if not keys:
            return 0
        if self._is_cluster:
            return sum(self.client.unlink(key) for key in keys)
        return self.client.unlink(*keys)

    # --- lookups and writes -----------------------------------------------------------------------

    def _call(self, script: str, namespace: str, runs: BucketRuns, *extra) -> list:
        """Run a script over packed bucket runs: once on a single node, once per shard on a cluster."""
        prefix = f"sen:{namespace}:"
        parts = runs.split_by_shard() if self._is_cluster else [runs]
        results = []
        with self._redis_errors(script):
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
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", owner):
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
        # Counted here rather than by reading every field before writing it (a third of a write's cost): single
        # flight stores each pair once, so this is the pair count (a pair whose claim ran out mid-inference
        # may be stored, and counted, twice).
        with self._redis_errors("store"):
            self.client.hincrby(self._meta_key(namespace), "pairs", len(keys))

    def release(self, namespace: str, keys: np.ndarray, owner: str) -> None:
        """Drop `owner`'s claims on keys it will not store (its inference failed)."""
        if len(keys) == 0:
            return
        self._call("release", namespace, bucket_runs(keys, self.bucket_bits(namespace)), owner)
