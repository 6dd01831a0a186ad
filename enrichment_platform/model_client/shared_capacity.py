"""The model's capacity shared by every process and run: one GCRA schedule kept in Redis."""

import threading
import time
from collections.abc import Callable

import redis

from enrichment_platform.cache.connection import CacheUnavailableError, connect, redacted_url
from enrichment_platform.cache.scripts import lua_source

# cache/lua/reserve_capacity.lua: the bookings are made on Redis' clock, one schedule for every process.
RESERVE_SCRIPT = "reserve_capacity"


class SharedRateLimiter:
    """`rate` units per second (bursts of `burst`) summed over every process that uses the same Redis key."""

    def __init__(self, redis_url: str, key: str, rate: float, burst: float):
        self.rate, self.burst, self.key = rate, burst, key
        self._redis_url = redis_url
        self._reserve = None
        self._connecting = threading.Lock()

    def _script(self):
        """The reservation script on a client of the URL, connected on first use."""
        with self._connecting:
            if self._reserve is None:
                # On a Redis Cluster only a cluster client finds the node that holds the key.
                client, _ = connect(self._redis_url, socket_connect_timeout=5, socket_timeout=10)
                self._reserve = client.register_script(lua_source(RESERVE_SCRIPT))
        return self._reserve

    def reserve(self, units: float) -> float:
        """Book `units` on the shared schedule; returns the seconds to wait before sending them."""
        if self.rate == 0:
            return 0.0
        try:
            return float(self._script()(keys=[self.key], args=[self.rate, self.burst, units]))
        except redis.RedisError as error:
            raise CacheUnavailableError(
                f"the shared model rate limiter at {redacted_url(self._redis_url)} failed: {error}"
            ) from error

    def acquire(self, units: float, sleep: Callable[[float], None] = time.sleep) -> None:
        wait = self.reserve(units)
        if wait > 0:
            sleep(wait)
