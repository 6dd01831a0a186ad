"""A circuit breaker for model calls: after repeated failures, refuse at once for a cool-down instead of
queueing every file behind a dead endpoint."""

import threading
import time
from collections.abc import Callable


class CircuitOpenError(RuntimeError):
    """Calls are refused without trying: the endpoint failed repeatedly and is cooling down."""


class CircuitBreaker:
    """Fails fast after `threshold` consecutive failures spread over at least `min_span` seconds; after
    `cooldown` seconds one trial call may pass.

    `min_span` keeps calls that fail together (those in flight on one replica that dies) from counting as
    an endpoint that stays down.
    """

    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 10.0,
        min_span: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.threshold = threshold
        self.cooldown = cooldown
        self.min_span = min_span
        self._clock = clock
        self._failures = 0
        self._first_failure_at = 0.0
        self._last_error = ""
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    def before_call(self, what: str) -> None:
        """Raise CircuitOpenError while open; let one trial through once the cooldown has passed."""
        with self._lock:
            if self._opened_at is None:
                return
            waited = self._clock() - self._opened_at
            if waited < self.cooldown:
                raise CircuitOpenError(
                    f"{what} failed {self._failures} times in a row (last: {self._last_error}); "
                    f"not calling it for another {self.cooldown - waited:.0f} s"
                )
            self._opened_at = self._clock()  # half-open: this caller is the trial, others keep failing fast

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def record_failure(self, error: str = "") -> None:
        with self._lock:
            now = self._clock()
            if self._failures == 0:
                self._first_failure_at = now
            self._failures += 1
            self._last_error = error
            if self._failures >= self.threshold and now - self._first_failure_at >= self.min_span:
                self._opened_at = now
