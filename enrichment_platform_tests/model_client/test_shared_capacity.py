"""The model's capacity shared through Redis: one schedule per key, on a single node or a Redis Cluster."""

import pytest

from enrichment_platform.model_client.shared_capacity import SharedRateLimiter

pytestmark = pytest.mark.integration


def test_the_shared_schedule_works_on_every_node_of_a_redis_cluster(redis_cluster_url):
    # Keys of twelve targets land in slots of all three nodes, whichever node the URL names.
    for port in range(50051, 50063):
        first = SharedRateLimiter(
            redis_cluster_url, f"ratelimit:seniority:127.0.0.1:{port}", rate=1000, burst=250
        )
        other_process = SharedRateLimiter(redis_cluster_url, first.key, rate=1000, burst=250)
        assert first.reserve(0) == other_process.reserve(0) == 0.0  # connected, nothing booked
        assert first.reserve(250) == 0.0  # the burst goes at once
        assert other_process.reserve(250) == pytest.approx(0.25, abs=0.05)  # then both share 1,000/s
