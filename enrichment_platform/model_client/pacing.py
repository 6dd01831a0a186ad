"""Pacing of model requests so that they stay within the endpoint's capacity (pairs per second)."""

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """A virtual-scheduling (GCRA) limiter: `burst` units may go at once, then `rate` units per second."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        if rate < 0 or burst < 0:
            raise ValueError(f"rate and burst must be >= 0, got rate={rate}, burst={burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._theoretical_arrival = 0.0
        self._lock = threading.Lock()

    def reserve(self, units: float) -> float:
        """Book `units` and return how many seconds to wait before sending them (0 when unlimited)."""
        if self.rate == 0:
            return 0.0
        with self._lock:
            now = self._clock()
            start = max(self._theoretical_arrival, now)
            self._theoretical_arrival = start + units / self.rate
            return max(0.0, self._theoretical_arrival - self.burst / self.rate - now)

    def acquire(self, units: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Block until `units` may be sent."""
        wait = self.reserve(units)
        if wait > 0:
            sleep(wait)
