"""A file that cannot be read is set aside (dead-lettered) and the rest of its partition goes on; the next run
tries it again. Files failing one after another fail the step instead, as an outage would."""

import orjson
import pytest
import redis

from enrichment_platform.defs.assets.raw import raw_job_postings
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.devstack.redis_server import start_redis
from enrichment_platform_tests.support.harness import (
    failure_messages,
    materialization_metadata,
    retried,
    run_flow,
)

pytestmark = pytest.mark.integration

DAY, MIDNIGHT = "2024-07-17", 1721174400
RAW, OUT = "job-postings-raw", "job-postings-mod"
DEAD_LETTERS = f"enrichment-staging/dead-letter/raw_job_postings/{DAY}"
NAMES = [f"{MIDNIGHT + 60 * index}.jsonl" for index in range(1, 5)]


def day_file(index: int) -> bytes:
    return b"".join(
        orjson.dumps({"url": f"u{index}-{i}", "company": "Acme", "title": f"Engineer {i}"}) + b"\n"
        for i in range(20)
    )


def put_archived(bucket, name: str, data: bytes) -> None:
    """An object a lifecycle rule moved to Glacier: listed like any other, but S3 refuses to GET it."""
    bucket.client.put_object(Bucket=bucket.name, Key=f"{RAW}/{name}", Body=data, StorageClass="GLACIER")


def check_results(result) -> dict[tuple[str, str], object]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_unreadable_file_is_dead_lettered_the_others_exported_and_the_next_run_retries_it(bucket, instance):
    for index, name in enumerate(NAMES):
        bucket.put(RAW, name, day_file(index))
    clean = run_flow(instance, DAY)
    assert clean.success
    expected = {name: bucket.get(OUT, name) for name in NAMES}
    for prefix in (OUT, "enrichment-staging"):
        for name in bucket.names(prefix):
            bucket.client.delete_object(Bucket=bucket.name, Key=f"{prefix}/{name}")
    archived = NAMES[1]
    put_archived(bucket, archived, day_file(1))

    result = run_flow(instance, DAY)

    assert result.success and not retried(result)  # a bad file is no reason to retry the step
    assert bucket.names(OUT) == [name for name in NAMES if name != archived]
    assert all(bucket.get(OUT, name) == expected[name] for name in bucket.names(OUT))
    record = orjson.loads(bucket.get(DEAD_LETTERS, f"{archived}.json"))
    assert (record["file"], record["asset"], record["partition"], record["attempts"]) == (
        archived,
        "raw_job_postings",
        DAY,
        3,
    )
    assert f"S3 get failed for s3://{bucket.name}/{RAW}/{archived}" in record["error"]
    assert "InvalidObjectState" in record["error"]
    assert record["input_version"] and record["failed_at"].startswith("20")
    meta = materialization_metadata(result, raw_job_postings)
    assert meta["dead_lettered_files"] == 1 and archived in meta["dead_letters"]
    checks = check_results(result)
    dead_check = checks[("raw_job_postings", "no_dead_lettered_files")]
    assert not dead_check.passed and dead_check.severity.value == "ERROR"
    assert f"{archived}: 3 attempts" in dead_check.metadata["problems"].value
    assert checks[("seniority_augmented_postings", "no_dead_lettered_files")].passed
    conservation = checks[("seniority_augmented_postings", "conservation")]
    assert conservation.passed  # blocking: had it failed, the other files would not have been exported
    assert f"{archived}: dead-lettered by raw_job_postings" in conservation.metadata["dead_lettered"].value
    one_output = checks[("exported_job_postings", "one_output_per_input")]
    assert not one_output.passed
    assert (
        f"{archived}: no output (dead-lettered by raw_job_postings)" in one_output.metadata["problems"].value
    )

    bucket.put(RAW, archived, day_file(1))  # restored from the archive
    again = run_flow(instance, DAY)

    assert again.success
    assert {name: bucket.get(OUT, name) for name in bucket.names(OUT)} == expected
    assert bucket.names(DEAD_LETTERS) == []
    assert all(
        evaluation.passed
        for evaluation in again.get_asset_check_evaluations()
        if evaluation.check_name in ("no_dead_lettered_files", "conservation", "one_output_per_input")
    )


def test_files_failing_one_after_another_fail_the_step_and_dead_letter_none(bucket, instance):
    for index, name in enumerate(NAMES):
        put_archived(bucket, name, day_file(index))

    result = run_flow(instance, DAY)

    assert not result.success
    assert retried(result)
    assert "3 files in a row failed every attempt" in failure_messages(result)
    assert "InvalidObjectState" in failure_messages(result)
    assert bucket.names(DEAD_LETTERS) == []
    assert bucket.names(OUT) == []


def test_redis_failing_inside_every_file_fails_the_step_and_dead_letters_none(bucket, instance, tmp_path):
    for index, name in enumerate(NAMES):
        bucket.put(RAW, name, day_file(index))
    with start_redis(tmp_path / "redis") as own:
        # A user that may connect and ping but run no lookup: Redis fails inside each file, not before.
        redis.Redis.from_url(own.url).acl_setuser(
            "pinger", enabled=True, passwords=["+s3cret"], commands=["+@connection", "+info"], keys=["*"]
        )
        cache = SeniorityCache(redis_url=f"redis://pinger:s3cret@127.0.0.1:{own.port}/0")
        result = run_flow(instance, DAY, resources={**default_resources(), "cache": cache})

    assert not result.success
    assert "Redis" in failure_messages(result) and "pinger:***@" in failure_messages(result)
    assert "in a row" not in failure_messages(result)  # failed on the first error, not after three files
    assert bucket.names("enrichment-staging/dead-letter") == []
    assert bucket.names(OUT) == []
