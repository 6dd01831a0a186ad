"""raw_postings_sensor in queue mode against a real S3 API endpoint and SQS (moto's server): the bucket sends
the raw prefix's ObjectCreated events to a queue, and the sensor turns them into run requests."""

import time
import uuid

import boto3
import pytest

from enrichment_platform.arrivals.scan import QueueCursor
from enrichment_platform_tests.support.harness import Bucket, LogRecords, sensor_tick

pytestmark = pytest.mark.integration

RAW = "job-postings-raw"
JUL17 = 1721174400
DAY = 86_400
POSTING = b'{"company": "Acme", "title": "CFO"}\n'


class EventQueue:
    """An SQS queue that the test bucket notifies of every object created under the raw prefix."""

    def __init__(self, bucket: str, visibility_timeout: int):
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.create_queue(
            QueueName=f"raw-events-{uuid.uuid4().hex[:12]}",
            Attributes={"VisibilityTimeout": str(visibility_timeout)},
        )["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        boto3.client("s3").put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": f"{RAW}/"}]}},
                    }
                ]
            },
        )

    def counts(self) -> tuple[int, int]:
        """(messages waiting, messages received but not deleted)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=body)


@pytest.fixture
def event_queue(s3_buckets, monkeypatch):
    """Queue mode: a queue receiving the test bucket's raw-prefix events, named by RAW_POSTINGS_QUEUE_URL."""

    def create(visibility_timeout: int = 60) -> EventQueue:
        queue = EventQueue(s3_buckets.bucket, visibility_timeout)
        monkeypatch.setenv("RAW_POSTINGS_QUEUE_URL", queue.url)
        return queue

    return create


@pytest.fixture
def bucket(s3_buckets) -> Bucket:
    return Bucket(s3_buckets.bucket)


def keys(result) -> dict[str, str]:
    return {request.partition_key: request.run_key for request in result.run_requests}


def test_events_give_one_run_request_per_date_and_their_messages_go_on_the_next_tick(
    bucket, event_queue, instance, monkeypatch
):
    queue = event_queue()
    for ts in (JUL17 + 2, JUL17 + 1, JUL17 + DAY + 3):
        bucket.put(RAW, f"{ts}.jsonl", POSTING)
    bucket.put(RAW, "README.txt", b"not a raw file")
    bucket.put(RAW, "my file.jsonl", POSTING)  # its key arrives URL-encoded: my+file.jsonl
    log = LogRecords()

    first = sensor_tick(instance, log=log)

    requests = {request.partition_key: request for request in first.run_requests}
    assert sorted(requests) == ["2024-07-17", "2024-07-18"]
    assert requests["2024-07-17"].tags == {
        "enrichment/new_files": "2",
        "enrichment/newest_file": f"{JUL17 + 2}.jsonl",
    }
    warnings = " ".join(log.warnings())
    assert "s3:TestEvent" in warnings  # S3 sent it when the notification was set up
    assert "not <unix seconds>.jsonl" in warnings and "README.txt" in warnings and "my file.jsonl" in warnings
    assert queue.counts() == (0, 6)  # five files and the test event, taken but not deleted yet
    # The same files listed give the same run keys.
    monkeypatch.delenv("RAW_POSTINGS_QUEUE_URL")
    assert keys(sensor_tick(instance)) == keys(first)
    monkeypatch.setenv("RAW_POSTINGS_QUEUE_URL", queue.url)

    second = sensor_tick(instance, first.cursor)

    assert second.run_requests == []
    assert queue.counts() == (0, 0)
    assert QueueCursor.from_string(second.cursor).to_delete == []


def test_malformed_messages_are_warned_about_and_deleted_without_failing_the_tick(
    bucket, event_queue, instance
):
    queue = event_queue()
    queue.send("not json at all")
    queue.send('{"Records": "not a list"}')
    bucket.put(RAW, f"{JUL17 + 5}.jsonl", POSTING)
    log = LogRecords()

    first = sensor_tick(instance, log=log)

    assert list(keys(first)) == ["2024-07-17"]
    malformed = [w for w in log.warnings() if "that are not S3 events (2)" in w]
    assert len(malformed) == 1 and "not JSON" in malformed[0] and "no Records list" in malformed[0]
    sensor_tick(instance, first.cursor)
    assert queue.counts() == (0, 0)


def test_a_tick_whose_cursor_was_never_stored_loses_no_file_and_repeats_its_run_keys(
    bucket, event_queue, instance
):
    queue = event_queue(visibility_timeout=1)
    for ts in (JUL17 + 1, JUL17 + 2):
        bucket.put(RAW, f"{ts}.jsonl", POSTING)
    lost = sensor_tick(instance)  # as if the daemon died before storing the tick: its cursor is never used
    assert list(keys(lost)) == ["2024-07-17"]
    time.sleep(1.5)  # the messages, never deleted, become visible again

    retried = sensor_tick(instance)

    assert keys(retried) == keys(lost)  # the same run key, so Dagster launches the run at most once
    sensor_tick(instance, retried.cursor)
    assert queue.counts() == (0, 0)


def test_a_file_announced_again_is_not_requested_again(bucket, event_queue, instance):
    event_queue()
    bucket.put(RAW, f"{JUL17 + 5}.jsonl", POSTING)
    first = sensor_tick(instance)
    assert list(keys(first)) == ["2024-07-17"]

    bucket.put(RAW, f"{JUL17 + 5}.jsonl", POSTING)  # a second event for the same file, as a redelivery gives
    bucket.put(RAW, f"{JUL17 + 6}.jsonl", POSTING)
    second = sensor_tick(instance, first.cursor)

    assert [request.tags["enrichment/newest_file"] for request in second.run_requests] == [
        f"{JUL17 + 6}.jsonl"
    ]
    assert second.run_requests[0].tags["enrichment/new_files"] == "1"
