import pytest

from enrichment_platform.model_client.breaker import CircuitBreaker, CircuitOpenError
from enrichment_platform.model_client.pacing import RateLimiter


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_burst_goes_at_once_then_the_rate_applies():
    clock = FakeClock()
    limiter = RateLimiter(rate=1000, burst=1000, clock=clock)
    assert limiter.reserve(1000) == 0
    assert limiter.reserve(1000) == pytest.approx(1.0)
    assert limiter.reserve(500) == pytest.approx(1.5)


def test_over_ten_seconds_at_most_rate_times_ten_plus_a_burst_are_sent():
    clock = FakeClock()
    limiter = RateLimiter(rate=1000, burst=1000, clock=clock)
    sent_at = []
    for _ in range(30):
        wait = limiter.reserve(1000)
        sent_at.append(clock.now + wait)
    assert sum(1000 for t in sent_at if t < 100.0 + 10.0) <= 10_000


def test_idle_time_does_not_accumulate_beyond_the_burst():
    clock = FakeClock()
    limiter = RateLimiter(rate=100, burst=100, clock=clock)
    limiter.reserve(100)
    clock.now += 60
    assert limiter.reserve(100) == 0
    assert limiter.reserve(100) == pytest.approx(1.0)


def test_rate_zero_means_unlimited():
    assert RateLimiter(rate=0, burst=0).reserve(10**6) == 0


def test_circuit_opens_after_consecutive_failures_and_lets_a_trial_through_after_cooldown():
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, cooldown=30, clock=clock)
    breaker.record_failure()
    breaker.before_call("model")  # one failure: still closed
    breaker.record_failure("UNAVAILABLE: connection refused")
    with pytest.raises(CircuitOpenError, match=r"model failed 2 times in a row \(last: UNAVAILABLE"):
        breaker.before_call("model")
    clock.now += 31
    breaker.before_call("model")  # the trial
    with pytest.raises(CircuitOpenError):
        breaker.before_call("model")  # others still fail fast while the trial runs
    breaker.record_success()
    breaker.before_call("model")


def test_failures_at_one_instant_do_not_open_the_circuit_until_failures_span_min_span():
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=3, cooldown=10, min_span=0.5, clock=clock)
    for _ in range(8):  # the calls in flight on one replica that died
        breaker.record_failure("UNAVAILABLE: Socket closed")
    breaker.before_call("model")  # still closed: one event, however many calls it failed
    clock.now += 0.6
    breaker.record_failure("UNAVAILABLE: connection refused")  # still failing half a second later
    with pytest.raises(CircuitOpenError):
        breaker.before_call("model")


def test_a_success_after_failures_at_one_instant_starts_the_count_again():
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=3, cooldown=10, min_span=0.5, clock=clock)
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()  # the survivor answered the retries
    clock.now += 1
    breaker.record_failure()
    breaker.before_call("model")  # one failure since the success: still closed
    clock.now += 1
    breaker.record_failure()
    breaker.record_failure()
    with pytest.raises(CircuitOpenError, match="failed 3 times in a row"):
        breaker.before_call("model")
