"""S3 event notifications as SQS delivers them: which raw file names a batch of messages announces."""

from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import orjson

from enrichment_platform.pipeline.locations import S3Location

CREATED = "ObjectCreated:"
TEST_EVENT = "s3:TestEvent"


@dataclass
class AnnouncedFiles:
    """What a batch of event messages says about a raw prefix."""

    names: list[str] = field(default_factory=list)  # created objects directly under the prefix, URL-decoded
    outside: list[str] = field(default_factory=list)  # created objects elsewhere, as s3:// URIs
    test_events: list[str] = field(
        default_factory=list
    )  # buckets that sent s3:TestEvent (notification set up)
    malformed: list[str] = field(
        default_factory=list
    )  # "<message id>: <why>" for bodies that are not S3 events


def _records(body: str) -> list | dict:
    """The body's `Records`, or the whole test event; raises ValueError when it is neither."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error})") from None
    # Fanned out through SNS, the S3 event is the string `Message` of an SNS notification.
    if (
        isinstance(event, dict)
        and event.get("Type") == "Notification"
        and isinstance(event.get("Message"), str)
    ):
        return _records(event["Message"])
    if not isinstance(event, dict):
        raise ValueError("not a JSON object")
    if event.get("Event") == TEST_EVENT:
        return event
    if not isinstance(event.get("Records"), list):
        raise ValueError("no Records list and not an s3:TestEvent")
    return event["Records"]


def _created_key(record: object) -> tuple[str, str] | None:
    """(bucket, URL-decoded key) of an ObjectCreated record, None for other events; ValueError when
    malformed."""
    if not isinstance(record, dict) or not isinstance(record.get("eventName"), str):
        raise ValueError("a record without an eventName")
    if not record["eventName"].startswith(CREATED):
        return None
    try:
        bucket, key = record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]
    except (KeyError, TypeError):
        raise ValueError(
            f"an {record['eventName']} record without s3.bucket.name and s3.object.key"
        ) from None
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise ValueError(f"an {record['eventName']} record whose bucket or key is not a string")
    # S3 URL-encodes keys in events, with '+' for a space.
    return bucket, unquote_plus(key)


def announced_files(messages: list[tuple[str, str]], raw: S3Location) -> AnnouncedFiles:
    """Sort the objects that (message id, body) pairs announce as created into raw file names under `raw`
    and the rest; a malformed message is reported whole and none of its records is used."""
    announced = AnnouncedFiles()
    for message_id, body in messages:
        try:
            records = _records(body)
            if isinstance(records, dict):
                announced.test_events.append(str(records.get("Bucket", "?")))
                continue
            created = [key for key in (_created_key(record) for record in records) if key is not None]
        except ValueError as error:
            announced.malformed.append(f"{message_id}: {error}")
            continue
        for bucket, key in created:
            name = key[len(raw.prefix) :]
            if bucket == raw.bucket and key.startswith(raw.prefix) and name and "/" not in name:
                announced.names.append(name)
            else:
                announced.outside.append(f"s3://{bucket}/{key}")
    return announced
