"""raw_postings_sensor: notices new raw files in S3 and requests a run of their date's partition."""

import time

import dagster as dg
import xxhash

from enrichment_platform.arrivals.file_names import partition_key_for_timestamp, partition_window
from enrichment_platform.arrivals.s3_events import announced_files
from enrichment_platform.arrivals.scan import (
    ArrivalCursor,
    Arrivals,
    QueueCursor,
    detect_arrivals,
    detect_queued_arrivals,
)
from enrichment_platform.defs.jobs import enrich_postings_job
from enrichment_platform.defs.resources.queue import RawPostingsQueue
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.defs.summary_refresh import flow_selection, summary_runs
from enrichment_platform.settings import setting

MAX_NAMES_IN_LOG = 10
# Longer than a message stays hidden after a receive (the queue's visibility timeout, minutes), so that a
# message delivered again finds its name still remembered.
QUEUE_REMEMBER_SECONDS = 3_600


def _sample(names: list[str]) -> str:
    more = len(names) - MAX_NAMES_IN_LOG
    return ", ".join(names[:MAX_NAMES_IN_LOG]) + (f" and {more} more" if more > 0 else "")


@dg.sensor(
    job=enrich_postings_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Lists RAW_POSTINGS_URI (paginated, from RAW_SENSOR_LOOKBACK_SECONDS before the newest file "
    "seen), or with RAW_POSTINGS_QUEUE_URL reads the prefix's S3 events from SQS, and requests one run per "
    "date with new files; the run key changes whenever new files arrive.",
)
def raw_postings_sensor(
    context: dg.SensorEvaluationContext, storage: PostingsStorage, raw_postings_queue: RawPostingsQueue
) -> dg.SensorResult:
    if raw_postings_queue.queue_url:
        return _queued_tick(context, storage, raw_postings_queue)
    return _listing_tick(context, storage)


def _listing_tick(context: dg.SensorEvaluationContext, storage: PostingsStorage) -> dg.SensorResult:
    cursor = ArrivalCursor.from_string(context.cursor)
    lookback = int(setting("RAW_SENSOR_LOOKBACK_SECONDS"))
    now = int(time.time())
    start = cursor.scan_start(lookback, now)
    listed = [name for name, _ in storage.list_objects(storage.raw, start_after=start)]
    first_partition, last_partition = partition_window()
    arrivals, next_cursor = detect_arrivals(cursor, listed, first_partition, last_partition, lookback, now)
    _warn(context, arrivals, storage.raw_uri, first_partition)
    return _result(context, arrivals, next_cursor.to_string(), f"no new files under {storage.raw_uri}")


def _queued_tick(
    context: dg.SensorEvaluationContext, storage: PostingsStorage, queue: RawPostingsQueue
) -> dg.SensorResult:
    cursor = QueueCursor.from_string(context.cursor)
    # The last tick's messages go only now: Dagster stores a tick's run requests before it hands the sensor
    # that tick's cursor, so a crash in between leaves them in the queue to be received again.
    refused = queue.delete(cursor.to_delete)
    _warn_about(
        context,
        refused,
        f"SQS did not delete messages of the last tick from {queue.queue_url}; "
        "received again, their files are not requested twice",
    )
    messages = queue.receive(int(setting("RAW_SENSOR_QUEUE_MAX_MESSAGES")))
    announced = announced_files([(m.message_id, m.body) for m in messages], storage.raw)
    _warn_about(
        context, announced.malformed, f"ignoring messages on {queue.queue_url} that are not S3 events"
    )
    _warn_about(
        context,
        announced.test_events,
        f"ignoring s3:TestEvent messages (sent when a notification "
        f"is set up) on {queue.queue_url}, from buckets",
    )
    _warn_about(
        context,
        announced.outside,
        f"ignoring objects announced on {queue.queue_url} that are not directly under {storage.raw_uri}",
    )
    first_partition, last_partition = partition_window()
    arrivals, next_cursor = detect_queued_arrivals(
        cursor,
        announced.names,
        [m.receipt_handle for m in messages],
        first_partition,
        last_partition,
        now=int(time.time()),
        remember_seconds=QUEUE_REMEMBER_SECONDS,
    )
    _warn(context, arrivals, storage.raw_uri, first_partition)
    return _result(context, arrivals, next_cursor.to_string(), f"no new files announced on {queue.queue_url}")


def _warn_about(context: dg.SensorEvaluationContext, names: list[str], what: str) -> None:
    """One warning saying what is wrong with how many names, and the first few of them."""
    if names:
        context.log.warning(f"{what} ({len(names)}): {_sample(names)}")


def _warn(
    context: dg.SensorEvaluationContext, arrivals: Arrivals, raw_uri: str, first_partition: str
) -> None:
    _warn_about(
        context, arrivals.unrecognized, f"ignoring keys under {raw_uri} that are not <unix seconds>.jsonl"
    )
    _warn_about(
        context, arrivals.before_start, f"ignoring files dated before PARTITIONS_START_DATE {first_partition}"
    )
    _warn_about(context, arrivals.in_future, "waiting for their day: files dated after today (UTC)")


def _result(
    context: dg.SensorEvaluationContext, arrivals: Arrivals, cursor: str, skip: str
) -> dg.SensorResult:
    """One run request per date, keyed by the date and its new file names (Dagster launches a key once), with
    the day's summary when it is due; and runs of the summary alone where it is behind (`summary_refresh`)."""
    now = time.time()
    today = partition_key_for_timestamp(int(now))
    run_requests = [
        dg.RunRequest(
            run_key=f"{partition_key}:{xxhash.xxh3_64_hexdigest(' '.join(names).encode())}",
            partition_key=partition_key,
            asset_selection=flow_selection(context.instance, partition_key, today, now),
            tags={"enrichment/new_files": str(len(names)), "enrichment/newest_file": names[-1]},
        )
        for partition_key, names in arrivals.by_partition.items()
    ]
    run_requests += summary_runs(context.instance, set(arrivals.by_partition), now)
    if run_requests:
        context.log.info(
            "new raw files: "
            + ", ".join(f"{key}: {len(names)}" for key, names in arrivals.by_partition.items())
        )
    return dg.SensorResult(
        run_requests=run_requests, cursor=cursor, skip_reason=None if run_requests else dg.SkipReason(skip)
    )
