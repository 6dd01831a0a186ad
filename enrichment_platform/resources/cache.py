"""The Redis cache of inferred seniority, keyed by model version and pair fingerprint."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dagster as dg
import numpy as np
import redis
from pydantic import PrivateAttr

# Fingerprints are spread over 2**bucket_bits hashes, each small enough to stay a compact listpack.
DEFAULT_BUCKET_BITS = 18


class CacheUnavailableError(RuntimeError):
    """Redis could not be reached or failed a command (infrastructure, retried by Dagster)."""


def redacted_url(url: str) -> str:
    """A Redis URL with its password hidden, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class SeniorityCache(dg.ConfigurableResource):
    """Seniority per (model version, pair fingerprint) in Redis hashes: field = 8-byte fingerprint, value = level."""

    redis_url: str
    bucket_bits: int = DEFAULT_BUCKET_BITS

    _client: Any = PrivateAttr(default=None)

    @property
    def client(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.redis_url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
            )
        return self._client

    @contextmanager
    def _redis_errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as error:
            raise CacheUnavailableError(
                f"Redis {action} failed at {redacted_url(self.redis_url)}: {error}. Check REDIS_URL and that Redis is up."
            ) from error

    def ping(self) -> None:
        """Fail early, with the URL in the message, when Redis is unreachable."""
        with self._redis_errors("ping"):
            self.client.ping()

    def _bucket_names(self, namespace: str, keys: np.ndarray) -> list[bytes]:
        buckets = (keys >> np.uint64(64 - self.bucket_bits)).tolist()
        prefix = f"sen:{namespace}:".encode()
        return [prefix + b"%x" % bucket for bucket in buckets]

    def lookup(self, namespace: str, keys: np.ndarray) -> np.ndarray:
        """Cached level per fingerprint (uint8), 0 where the pair was never inferred for this namespace."""
        if len(keys) == 0:
            return np.zeros(0, dtype=np.uint8)
        fields = keys.astype(">u8").tobytes()
        pipeline = self.client.pipeline(transaction=False)
        for index, bucket in enumerate(self._bucket_names(namespace, keys)):
            pipeline.hget(bucket, fields[index * 8:index * 8 + 8])
        with self._redis_errors("lookup"):
            values = pipeline.execute()
        return np.fromiter((value[0] - 48 if value else 0 for value in values), dtype=np.uint8, count=len(values))

    def store(self, namespace: str, keys: np.ndarray, levels: np.ndarray) -> None:
        """Remember the inferred level of each fingerprint for this namespace."""
        if len(keys) == 0:
            return
        fields = keys.astype(">u8").tobytes()
        pipeline = self.client.pipeline(transaction=False)
        for index, (bucket, level) in enumerate(zip(self._bucket_names(namespace, keys), levels.tolist())):
            pipeline.hset(bucket, fields[index * 8:index * 8 + 8], b"%d" % level)
        with self._redis_errors("store"):
            pipeline.execute()
