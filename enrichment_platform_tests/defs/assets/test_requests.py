"""A pushed request through its three assets, the sensor and the failure hook, on real Redis, the S3 endpoint
and the model server: one output and one quarantine per request, equal to what the daily flow makes of the
same lines as one file."""

import io
import uuid

import boto3
import dagster as dg
import orjson
import pytest

from enrichment_platform.defs.assets.requests import REQUEST_ASSETS
from enrichment_platform.defs.request_sensors import pushed_request_failures, pushed_requests_sensor
from enrichment_platform.defs.resources import default_resources
from enrichment_platform_tests.support.harness import (
    failure_messages,
    materialization_metadata,
    process_request,
    run_flow,
)

pytestmark = pytest.mark.integration

T0 = 1721174400
PARTS = [
    b'{"company": "Acme Corp", "title": "Senior Data Engineer", "url": "u1"}\n'
    b"\n"
    b'{"company": "Acme", "title": \n'
    b'{"company": "Globex", "title": "Chief Executive Officer", "url": "u2"}\n',
    b'{"company": "ACME  CORP", "title": "senior data engineer", "url": "u3"}\n'
    b'{"title": "Intern"}\n'
    b'{"company": "Initech", "title": "Staff Accountant", "url": "u4"}',  # no final newline
    b'   \n{"company": "Initech", "title": "Junior Accountant", "url": "u5"}\n[1, 2]\n',
]


@pytest.fixture
def requests_env(platform_env, monkeypatch) -> str:
    uri = f"s3://{platform_env.bucket}/enrichment-requests/"
    monkeypatch.setenv("REQUESTS_URI", uri)
    return uri


@pytest.fixture
def store(requests_env):
    with dg.build_resources({"requests": default_resources()["requests"]}) as resources:
        yield resources.requests.store()


def push(store, erid: str, parts: list[bytes]) -> None:
    """Store the parts through the intake's engine (as the API does) and close the request."""
    for body in parts:
        lines = sum(1 for line in body.split(b"\n") if line.strip())
        store.store_part(erid, io.BytesIO(body), lines, len(body), "")
    store.close(erid)


def sensor_tick(instance, cursor=None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=default_resources()) as context:
        return pushed_requests_sensor(context)


def request_object(uri: str, erid: str, name: str) -> bytes:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return boto3.client("s3").get_object(Bucket=bucket, Key=f"{prefix}{erid}/{name}")["Body"].read()


def test_a_request_gives_what_the_daily_flow_gives_its_lines_as_one_file(
    store, requests_env, bucket, instance
):
    erid = f"req-{uuid.uuid4().hex[:8]}"
    push(store, erid, PARTS)
    result = process_request(instance, erid)
    assert result.success, failure_messages(result)

    # The same lines as one raw file (each part ends its last line) through the daily assets.
    bucket.put("job-postings-raw", f"{T0 + 60}.jsonl", b"".join(part.rstrip(b"\n") + b"\n" for part in PARTS))
    daily = run_flow(instance, "2024-07-17")
    assert daily.success, failure_messages(daily)
    output = request_object(requests_env, erid, "output.jsonl")
    assert output == bucket.get("job-postings-mod", f"{T0 + 60}.jsonl")
    quarantine = request_object(requests_env, erid, "quarantine.jsonl")
    assert quarantine == bucket.get("job-postings-quarantine", f"{T0 + 60}.jsonl")
    assert [orjson.loads(line)["line"] for line in quarantine.splitlines()] == [3, 6, 10]
    assert all(1 <= orjson.loads(line)["seniority"] <= 7 for line in output.splitlines())

    assert store.counts()["processing"] == 0
    status = store.status(erid)
    assert (status.status, status.parts, status.lines, status.valid, status.quarantined) == (
        "done",
        3,
        8,
        5,
        3,
    )
    raw_metadata = materialization_metadata(result, REQUEST_ASSETS[0])
    assert (raw_metadata["parts"], raw_metadata["valid_lines"], raw_metadata["quarantined_lines"]) == (
        3,
        5,
        3,
    )
    augmented_metadata = materialization_metadata(result, REQUEST_ASSETS[1])
    assert augmented_metadata["pairs_looked_up"] == 5  # distinct per part, summed: Acme's pair in parts 1, 2
    assert augmented_metadata["model_requests"] == 4
    checks = {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}
    assert checks == {
        "request_conservation": True,
        "request_seniority_in_range": True,
        "request_output_complete": True,
    }


def test_a_request_without_a_bad_line_gets_an_empty_quarantine(store, requests_env, instance):
    erid = f"clean-{uuid.uuid4().hex[:8]}"
    push(store, erid, [PARTS[0].splitlines()[0] + b"\n", PARTS[1].splitlines()[0]])
    result = process_request(instance, erid)
    assert result.success, failure_messages(result)
    assert request_object(requests_env, erid, "quarantine.jsonl") == b""
    assert len(request_object(requests_env, erid, "output.jsonl").splitlines()) == 2
    assert store.status(erid).status == "done"


def test_huge_lines_are_enriched_or_quarantined_whole(store, requests_env, instance):
    erid = f"huge-{uuid.uuid4().hex[:8]}"
    description = "x" * 8_000_000
    valid = orjson.dumps({"company": "Acme", "title": "Senior Engineer", "description": description})
    broken = b'{"company": "Acme", "title": "' + b"y" * 8_000_000  # never closed
    push(store, erid, [valid + b"\n" + broken + b"\n", PARTS[2]])
    result = process_request(instance, erid)
    assert result.success, failure_messages(result)
    [output, *rest] = request_object(requests_env, erid, "output.jsonl").splitlines()
    assert orjson.loads(output)["description"] == description and len(rest) == 1
    quarantine = [
        orjson.loads(line) for line in request_object(requests_env, erid, "quarantine.jsonl").splitlines()
    ]
    assert [record["line"] for record in quarantine] == [2, 5]
    assert quarantine[0]["raw"].encode() == broken and quarantine[0]["error"].startswith("invalid JSON")


def test_the_sensor_requests_each_closed_request_once_in_order_of_closing(store, instance):
    first, second = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    assert sensor_tick(instance).run_requests == []
    store.store_part(first, io.BytesIO(PARTS[0]), 3, len(PARTS[0]), "")
    assert sensor_tick(instance).run_requests == []  # open: nothing to do yet
    push(store, second, PARTS[1:2])
    store.close(first)
    store.close(first)  # closing again queues nothing new

    tick = sensor_tick(instance)
    assert [(run.run_key, run.partition_key) for run in tick.run_requests] == [
        (second, second),
        (first, first),
    ]
    assert all(run.tags["dagster/priority"] == "1" for run in tick.run_requests)  # before daily runs
    [added] = tick.dynamic_partitions_requests
    assert list(added.partition_keys) == [second, first]
    assert sensor_tick(instance, tick.cursor).run_requests == []
    store.close(second)  # after its run was requested: queued again, under the same run key
    assert [run.run_key for run in sensor_tick(instance, tick.cursor).run_requests] == [second]


def test_a_request_whose_run_fails_for_good_is_marked_failed_with_the_error(store, requests_env, instance):
    erid = f"gone-{uuid.uuid4().hex[:8]}"
    push(store, erid, PARTS[:2])
    closed = orjson.loads(request_object(requests_env, erid, "closed.json"))
    bucket, _, _ = requests_env.removeprefix("s3://").partition("/")
    boto3.client("s3").delete_object(Bucket=bucket, Key=closed["parts"][1]["key"])  # a part's body is lost

    with dg.build_sensor_context(instance=instance, resources=default_resources()) as context:
        first = pushed_request_failures.evaluate_tick(context)
    result = process_request(instance, erid)
    assert not result.success
    with dg.build_sensor_context(
        instance=instance, cursor=first.cursor, resources=default_resources()
    ) as context:
        evaluation = pushed_request_failures.evaluate_tick(context)
    assert [reaction.error for reaction in evaluation.dagster_run_reactions] == [None]

    assert store.counts()["processing"] == 0
    status = store.status(erid)
    assert status.status == "failed"
    assert "request_raw_postings" in status.error and closed["parts"][1]["key"] in status.error
