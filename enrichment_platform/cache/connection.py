"""Reaching the cache's Redis: a client for a single node or a cluster, URLs safe to log, and the error that
says Redis itself failed."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis


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
    """A client on `redis_url`, and whether the server is a Redis Cluster (then it is a RedisCluster)."""
    client = redis.Redis.from_url(redis_url, **options)
    if not client.info("cluster").get("cluster_enabled"):
        return client, False
    client.close()
    return redis.RedisCluster.from_url(redis_url, socket_connect_timeout=5), True


@contextmanager
def redis_errors(action: str, redis_url: str) -> Iterator[None]:
    """Turn a Redis failure into a CacheUnavailableError naming the action and the URL (without password)."""
    try:
        yield
    except redis.RedisError as error:
        raise CacheUnavailableError(
            f"Redis {action} failed at {redacted_url(redis_url)}: {error}. "
            "Check REDIS_URL and that Redis is up."
        ) from error
