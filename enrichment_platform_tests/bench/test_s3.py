"""The S3 endpoint benchmark on real servers: both of moto's ways of serving S3 answer the flow's requests."""

import pytest

from enrichment_platform.bench.s3 import as_markdown, run_s3_bench

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_both_endpoints_serve_the_flow_s_requests_and_are_measured():
    costs = run_s3_bench(requests=5)

    assert [(cost.endpoint, cost.request) for cost in costs] == [
        (endpoint, request)
        for endpoint in ("moto_server", "s3_endpoint")
        for request in ("PUT 6 KB", "PUT 1.1 MB", "GET 1.1 MB")
    ]
    assert all(cost.server_cpu_ms >= 0 and cost.client_cpu_ms > 0 and cost.wall_ms > 0 for cost in costs)
    assert as_markdown(costs).count("\n") == len(costs) + 1
