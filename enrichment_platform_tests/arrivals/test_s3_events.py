import orjson

from enrichment_platform.arrivals.s3_events import announced_files
from enrichment_platform.pipeline.locations import S3Location

RAW = S3Location("rl-data", "job-postings-raw/")


def created(key: str, bucket: str = "rl-data", event: str = "ObjectCreated:Put") -> dict:
    return {"eventName": event, "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}}}


def body(*records: dict) -> str:
    return orjson.dumps({"Records": list(records)}).decode()


def test_created_keys_under_the_raw_prefix_become_url_decoded_file_names():
    announced = announced_files(
        [
            ("m1", body(created("job-postings-raw/1721174401.jsonl"))),
            (
                "m2",
                body(
                    created(
                        "job-postings-raw%2F1721174402.jsonl", event="ObjectCreated:CompleteMultipartUpload"
                    ),
                    created("job-postings-raw/late+file%2B1.jsonl", event="ObjectCreated:Copy"),
                ),
            ),
        ],
        RAW,
    )
    assert announced.names == ["1721174401.jsonl", "1721174402.jsonl", "late file+1.jsonl"]
    assert announced.outside == announced.malformed == announced.test_events == []


def test_keys_outside_the_raw_prefix_or_bucket_are_set_aside():
    announced = announced_files(
        [
            (
                "m",
                body(
                    created("job-postings-mod/1.jsonl"),
                    created("job-postings-raw/1.jsonl", bucket="other"),
                    created("job-postings-raw/sub/1.jsonl"),
                    created("job-postings-raw/"),
                ),
            )
        ],
        RAW,
    )
    assert announced.names == []
    assert announced.outside == [
        "s3://rl-data/job-postings-mod/1.jsonl",
        "s3://other/job-postings-raw/1.jsonl",
        "s3://rl-data/job-postings-raw/sub/1.jsonl",
        "s3://rl-data/job-postings-raw/",
    ]


def test_events_other_than_object_created_are_skipped():
    announced = announced_files(
        [("m", body(created("job-postings-raw/1.jsonl", event="ObjectRemoved:Delete")))], RAW
    )
    assert announced.names == [] and announced.malformed == []


def test_the_test_event_s3_sends_when_the_notification_is_set_up_is_reported():
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2024-07-17T00:00:00Z",
        "Bucket": "rl-data",
    }
    announced = announced_files([("m", orjson.dumps(test_event).decode())], RAW)
    assert announced.test_events == ["rl-data"] and announced.names == [] and announced.malformed == []


def test_an_event_fanned_out_through_sns_is_read_from_its_message():
    envelope = {
        "Type": "Notification",
        "MessageId": "x",
        "Message": body(created("job-postings-raw/7.jsonl")),
    }
    assert announced_files([("m", orjson.dumps(envelope).decode())], RAW).names == ["7.jsonl"]


def test_malformed_bodies_are_reported_by_message_id_with_the_reason_and_none_of_their_records_is_used():
    announced = announced_files(
        [
            ("m1", "not json"),
            ("m2", "[1, 2]"),
            ("m3", '{"hello": "world"}'),
            ("m4", body(created("job-postings-raw/1.jsonl"), {"eventName": "ObjectCreated:Put", "s3": {}})),
            ("m5", body("a record that is a string")),
            ("m6", body(created("job-postings-raw/2.jsonl"))),
        ],
        RAW,
    )
    assert [problem.split(":")[0] for problem in announced.malformed] == ["m1", "m2", "m3", "m4", "m5"]
    assert "not JSON" in announced.malformed[0] and "s3.object.key" in announced.malformed[3]
    assert announced.names == ["2.jsonl"]
