"""Broken infrastructure: a clear error naming what failed, a retry, and no output object."""

import pytest

from enrichment_platform.defs.resources import default_resources
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.devstack.processes import free_port
from enrichment_platform_tests.support.harness import failure_messages, retried, run_flow

pytestmark = pytest.mark.integration

DAY = "2024-07-17"
NAME = "1721174401.jsonl"
LINE = b'{"company": "Acme", "title": "Head of Legal"}\n'


def test_model_down_fails_naming_the_target_and_writes_no_output(bucket, instance):
    bucket.put("job-postings-raw", NAME, LINE)
    dead = f"127.0.0.1:{free_port()}"
    resources = {
        **default_resources(),
        "model": SeniorityModelClient(target=dead, max_attempts=2, capacity=0),
    }

    result = run_flow(instance, DAY, resources=resources)

    assert not result.success
    assert f"seniority model at {dead}" in failure_messages(result)
    assert "UNAVAILABLE" in failure_messages(result)
    assert retried(result)
    assert bucket.names("job-postings-mod") == []

    # Once the model is back, the rerun completes.
    assert run_flow(instance, DAY).success
    assert bucket.names("job-postings-mod") == [NAME]


def test_redis_down_fails_naming_the_url_without_its_password(bucket, instance):
    bucket.put("job-postings-raw", NAME, LINE)
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    resources = {**default_resources(), "cache": SeniorityCache(redis_url=url)}

    result = run_flow(instance, DAY, resources=resources)

    messages = failure_messages(result)
    assert not result.success
    assert f"redis://:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in messages
    assert "s3cret" not in messages
    assert bucket.names("job-postings-mod") == []


def test_missing_output_bucket_fails_naming_the_key(bucket, instance, monkeypatch):
    bucket.put("job-postings-raw", NAME, LINE)
    monkeypatch.setenv("AUGMENTED_POSTINGS_URI", "s3://no-such-bucket-here/out/")

    result = run_flow(instance, DAY)

    assert not result.success
    assert f"S3 put failed for s3://no-such-bucket-here/out/{NAME}" in failure_messages(result)
