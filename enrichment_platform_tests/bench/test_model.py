"""The model benchmark on real servers: concurrent client processes share the capacity through Redis."""

import pytest

from enrichment_platform.bench.model import run_model_bench

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_client_processes_together_stay_within_the_capacity(clean_redis):
    result = run_model_bench(clean_redis, pairs=4_000, clients=3, capacity=2_000, window=1.0)
    # At most the rate plus one request of a quarter second's capacity in any window.
    assert result.max_pairs_in_window <= 2_000 * 1.0 + 2_000 // 4
    assert result.capped_seconds >= (4_000 - 500) / 2_000  # paced, not sent at once
    assert result.raw_pairs_per_second > result.capped_pairs_per_second
