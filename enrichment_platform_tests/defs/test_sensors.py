"""raw_postings_sensor against a real S3 API endpoint: run requests, cursor, and the runs they start."""

import dagster as dg
import orjson
import pytest

from enrichment_platform.arrivals.scan import ArrivalCursor
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.defs.sensors import raw_postings_sensor
from enrichment_platform_tests.support.harness import run_flow

pytestmark = pytest.mark.integration

JUL17 = 1721174400
DAY = 86_400


def tick(instance, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=default_resources()) as context:
        return raw_postings_sensor(context)


def test_new_files_give_one_run_request_per_date(bucket, instance):
    for ts in (JUL17 + 1, JUL17 + 2, JUL17 + DAY + 3):
        bucket.put("job-postings-raw", f"{ts}.jsonl", b'{"company": "", "title": "Intern"}\n')
    bucket.put("job-postings-raw", "README.txt", b"not a raw file")

    result = tick(instance)

    requests = {request.partition_key: request for request in result.run_requests}
    assert sorted(requests) == ["2024-07-17", "2024-07-18"]
    assert requests["2024-07-17"].tags["enrichment/new_files"] == "2"
    cursor = ArrivalCursor.from_string(result.cursor)
    assert cursor.high_water == JUL17 + DAY + 3
    assert cursor.ignored == {"README.txt"}

    again = tick(instance, result.cursor)
    assert again.run_requests == []

    bucket.put(
        "job-postings-raw", f"{JUL17 + 500}.jsonl", b'{"company": "", "title": "Intern"}\n'
    )  # late file
    late = tick(instance, again.cursor)
    assert [request.partition_key for request in late.run_requests] == ["2024-07-17"]
    assert late.run_requests[0].run_key != requests["2024-07-17"].run_key


def test_listing_is_paginated_beyond_a_thousand_keys(bucket, instance):
    names = [f"{JUL17 + i}.jsonl" for i in range(1_205)]
    for name in names:
        bucket.put("job-postings-raw", name, b"")
    result = tick(instance)
    assert result.run_requests[0].tags["enrichment/new_files"] == "1205"


def test_sensor_run_requests_execute_into_outputs(bucket, instance):
    bucket.put("job-postings-raw", f"{JUL17 + 9}.jsonl", b'{"company": "Acme", "title": "CFO"}\n')
    result = tick(instance)
    for request in result.run_requests:
        assert run_flow(instance, request.partition_key).success
    output = orjson.loads(bucket.get("job-postings-mod", f"{JUL17 + 9}.jsonl"))
    assert output["company"] == "Acme" and 1 <= output["seniority"] <= 7
