"""Broken infrastructure mid-run, with real processes: the model server killed, Redis restarted, the run
process SIGKILLed, S3 answering 503 SlowDown and 500 InternalError. After each, a rerun completes and its
outputs are byte-identical to a clean run's."""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import orjson
import pytest
import redis

from enrichment_platform.devstack.dagster_stack import materialize_command
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.redis_server import start_redis
from enrichment_platform_tests.support.faulty_s3 import FaultyS3
from enrichment_platform_tests.support.harness import failure_messages, retried, run_flow

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
DAY, MIDNIGHT = "2024-07-17", 1721174400
FILES = 8
PAIRS_PER_FILE = 600


def put_day(bucket) -> None:
    for index in range(FILES):
        lines = [
            orjson.dumps(
                {
                    "url": f"u{index}-{i}",
                    "company": f"Company {i % 37}",
                    "title": f"Engineer {index * PAIRS_PER_FILE + i}",
                    "scraped_on": MIDNIGHT,
                }
            )
            for i in range(PAIRS_PER_FILE)
        ] + [b"{broken"]
        bucket.put("job-postings-raw", f"{MIDNIGHT + 60 * (index + 1)}.jsonl", b"\n".join(lines) + b"\n")


def outputs(bucket) -> dict[str, bytes]:
    return {name: bucket.get("job-postings-mod", name) for name in bucket.names("job-postings-mod")}


def forget_results(bucket, redis_url: str) -> None:
    """Everything but the raw files: outputs, quarantine, staging, and the cache."""
    for prefix in ("job-postings-mod", "job-postings-quarantine", "enrichment-staging"):
        for name in bucket.names(prefix):
            bucket.client.delete_object(Bucket=bucket.name, Key=f"{prefix}/{name}")
    redis.Redis.from_url(redis_url).flushdb()


def assert_outputs_complete(bucket) -> None:
    """Any output object that exists holds every valid line of its input: nothing partial is visible."""
    for name, data in outputs(bucket).items():
        assert len(data.splitlines()) == PAIRS_PER_FILE, name
        assert all(1 <= orjson.loads(line)["seniority"] <= 7 for line in data.splitlines())


@pytest.fixture
def model_server(tmp_path, monkeypatch):
    """A model server of this test's own, paced so that a run lasts a few seconds (killable mid-run)."""
    server = start_model_server(capacity=1_000, workdir=tmp_path / "model")
    monkeypatch.setenv("SENIORITY_MODEL_TARGET", server.target)
    monkeypatch.setenv("SENIORITY_MODEL_CAPACITY", "1000")
    monkeypatch.setenv("SENIORITY_MODEL_VERSION", "fault-test")
    yield server
    server.stop()


def test_model_server_killed_mid_run_then_rerun_is_identical(
    bucket, instance, model_server, platform_env, clean_redis, tmp_path, monkeypatch
):
    put_day(bucket)
    assert run_flow(instance, DAY).success
    clean = outputs(bucket)
    forget_results(bucket, clean_redis)

    result = {}
    runner = threading.Thread(target=lambda: result.update(run=run_flow(instance, DAY)))
    runner.start()
    time.sleep(1.5)  # the augmentation is asking the model by now (4,800 pairs at 1,000/s)
    os.kill(model_server.process.pid, signal.SIGKILL)
    runner.join(timeout=120)
    assert not result["run"].success
    assert_outputs_complete(bucket)
    assert bucket.names("enrichment-staging/dead-letter") == []  # an outage, not bad files

    with start_model_server(capacity=0, workdir=tmp_path / "model-again") as again:
        monkeypatch.setenv("SENIORITY_MODEL_TARGET", again.target)
        assert run_flow(instance, DAY).success
    assert outputs(bucket) == clean


def test_redis_restarted_mid_run_then_rerun_is_identical(
    bucket, instance, model_server, s3_buckets, tmp_path, monkeypatch
):
    own_redis = start_redis(tmp_path / "redis")
    monkeypatch.setenv("REDIS_URL", own_redis.url)
    try:
        put_day(bucket)
        assert run_flow(instance, DAY).success
        clean = outputs(bucket)
        forget_results(bucket, own_redis.url)

        result = {}
        runner = threading.Thread(target=lambda: result.update(run=run_flow(instance, DAY)))
        runner.start()
        time.sleep(1.5)
        port = own_redis.port
        own_redis.stop()  # an empty Redis comes back on the same port: the cache is lost, not the data
        own_redis = start_redis(tmp_path / "redis-again", port=port)
        runner.join(timeout=180)
        assert_outputs_complete(bucket)
        if not result["run"].success:
            assert run_flow(instance, DAY).success
        assert outputs(bucket) == clean
    finally:
        own_redis.stop()


def test_run_process_killed_mid_partition_then_rerun_is_identical(
    bucket, instance, model_server, platform_env, clean_redis, tmp_path
):
    put_day(bucket)
    assert run_flow(instance, DAY).success
    clean = outputs(bucket)
    forget_results(bucket, clean_redis)

    home = tmp_path / "home"
    home.mkdir()
    command = materialize_command(DAY)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(6)  # start-up (about 3 s), then inside the augmentation (4,800 pairs at 1,000/s)
    process.kill()
    process.wait()
    assert len(outputs(bucket)) < FILES  # killed mid-partition
    assert_outputs_complete(bucket)

    completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert outputs(bucket) == clean


@pytest.fixture
def faulty_s3(bucket, s3_endpoint, monkeypatch):
    """A faulty proxy in front of the S3 endpoint, where the assets' S3 client points (not the test's
    `bucket`)."""
    with FaultyS3(s3_endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("ENRICHMENT_S3_MAX_ATTEMPTS", "4")  # 3 retries: about 3.5 s of backoff in all
        yield proxy


def assert_no_line_lost_or_duplicated(bucket) -> None:
    urls = [orjson.loads(line)["url"] for data in outputs(bucket).values() for line in data.splitlines()]
    assert len(urls) == len(set(urls)) == FILES * PAIRS_PER_FILE


def test_brief_s3_error_bursts_are_ridden_out_by_the_client_and_outputs_are_identical(
    bucket, instance, platform_env, clean_redis, faulty_s3
):
    put_day(bucket)
    assert run_flow(instance, DAY).success
    clean = outputs(bucket)
    forget_results(bucket, clean_redis)

    faulty_s3.bursts(every=10, length=2, statuses=(503, 500))  # 2 of every 10 requests fail, from every step
    result = run_flow(instance, DAY)

    assert result.success
    assert faulty_s3.failed[503] >= 4 and faulty_s3.failed[500] >= 4
    assert not retried(result)  # boto3's own retries absorbed the bursts; no step had to start again
    assert outputs(bucket) == clean
    assert_no_line_lost_or_duplicated(bucket)


def test_long_s3_outage_fails_the_run_naming_the_key_and_a_rerun_is_identical(
    bucket, instance, platform_env, clean_redis, faulty_s3, monkeypatch
):
    monkeypatch.setenv("ENRICHMENT_S3_MAX_ATTEMPTS", "2")  # an outage outlasts any number: fail sooner
    put_day(bucket)
    assert run_flow(instance, DAY).success
    clean = outputs(bucket)
    forget_results(bucket, clean_redis)

    faulty_s3.outage(status=503, trigger="/job-postings-mod/", after=2)  # S3 goes down after two outputs
    result = run_flow(instance, DAY)

    assert not result.success
    assert retried(result)
    messages = failure_messages(result)
    assert f"S3 put failed for s3://{bucket.name}/job-postings-mod/" in messages  # the write the outage cut
    assert f"S3 get failed for s3://{bucket.name}/enrichment-staging/" in messages  # the step's retry
    assert "SlowDown" in messages
    assert len(outputs(bucket)) == 2
    assert_outputs_complete(bucket)  # the writes cut off by the outage left no partial object
    assert bucket.names("enrichment-staging/dead-letter") == []  # an outage, not bad files

    faulty_s3.heal()
    assert run_flow(instance, DAY).success
    assert outputs(bucket) == clean
    assert_no_line_lost_or_duplicated(bucket)
