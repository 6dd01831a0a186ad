"""The local S3 API endpoint, in this process or its own, round-trips an object and stops."""

import os
import time

import boto3
import botocore.config
import pytest

from enrichment_platform.devstack import s3_endpoint, s3_server
from enrichment_platform.devstack.processes import free_port, port_answers

pytestmark = pytest.mark.integration


def _put_and_get(endpoint_url: str, bucket: str) -> bytes:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.put_object(Bucket=bucket, Key="job-postings-raw/1721183934.jsonl", Body=b'{"title": "CEO"}\n')
    return client.get_object(Bucket=bucket, Key="job-postings-raw/1721183934.jsonl")["Body"].read()


def test_s3_fixture_bucket_round_trips_an_object(s3_buckets):
    assert os.environ["RAW_POSTINGS_URI"] == f"s3://{s3_buckets.bucket}/job-postings-raw/"
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    # No endpoint argument: boto3 reads AWS_ENDPOINT_URL set by the session fixture.
    assert _put_and_get(None, s3_buckets.bucket) == b'{"title": "CEO"}\n'


def test_started_s3_endpoint_round_trips_then_stops():
    with s3_server.start_s3() as service:
        s3_server.ensure_bucket(service.endpoint_url, "devstack")
        s3_server.ensure_bucket(service.endpoint_url, "devstack")  # idempotent
        assert _put_and_get(service.endpoint_url, "devstack") == b'{"title": "CEO"}\n'
    assert not port_answers(service.port)


@pytest.mark.slow
def test_moto_server_process_round_trips_then_stops(tmp_path, monkeypatch):
    for name, value in s3_server.local_aws_env("unused").items():
        monkeypatch.setenv(name, value)
    with s3_server.start_moto_server_process(free_port(), tmp_path) as service:
        s3_server.ensure_bucket(service.endpoint_url, "devstack")
        assert _put_and_get(service.endpoint_url, "devstack") == b'{"title": "CEO"}\n'
    assert service.process.popen.returncode is not None
    assert not port_answers(service.port)
    assert (tmp_path / "moto_server.log").exists()


def test_the_endpoint_stores_an_empty_object_as_s3_does(tmp_path, monkeypatch):
    """botocore sends `Expect: 100-continue` with every PutObject, an empty one too."""
    for name, value in s3_server.local_aws_env("unused").items():
        monkeypatch.setenv(name, value)
    with s3_server.start_moto_server_process(free_port(), tmp_path) as service:
        s3_server.ensure_bucket(service.endpoint_url, "devstack")
        client = boto3.client(
            "s3",
            endpoint_url=service.endpoint_url,
            config=botocore.config.Config(read_timeout=10, retries={"max_attempts": 1}),
        )
        client.put_object(Bucket="devstack", Key="empty.jsonl", Body=b"")
        assert client.get_object(Bucket="devstack", Key="empty.jsonl")["Body"].read() == b""


def test_the_endpoint_delays_every_answer_by_the_latency_set(tmp_path, monkeypatch):
    for name, value in s3_server.local_aws_env("unused").items():
        monkeypatch.setenv(name, value)
    with s3_server.start_moto_server_process(free_port(), tmp_path, latency_ms=300) as service:
        s3_server.ensure_bucket(service.endpoint_url, "devstack")
        client = boto3.client("s3", endpoint_url=service.endpoint_url)
        client.put_object(Bucket="devstack", Key="a.jsonl", Body=b"{}\n")

        def seconds_of_a_get() -> float:
            started = time.perf_counter()
            client.get_object(Bucket="devstack", Key="a.jsonl")["Body"].read()
            return time.perf_counter() - started

        assert seconds_of_a_get() >= 0.3
        s3_endpoint.set_latency(service.endpoint_url, 0)
        assert seconds_of_a_get() < 0.25
        s3_endpoint.set_latency(service.endpoint_url, 500)
        assert seconds_of_a_get() >= 0.5


def test_pointing_this_process_at_an_endpoint_lasts_the_block_only(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)

    with s3_server.local_aws_environ("http://127.0.0.1:2"):
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2"
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"

    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert "AWS_DEFAULT_REGION" not in os.environ
