"""raw_postings_sensor: notices new raw files in S3 and requests a run of their date's partition."""

import dagster as dg
import xxhash

from enrichment_platform.core.arrivals import ArrivalCursor, detect_arrivals
from enrichment_platform.jobs import enrich_postings_job
from enrichment_platform.partitions import partition_window
from enrichment_platform.resources.s3 import PostingsStorage
from enrichment_platform.settings import setting

MAX_NAMES_IN_LOG = 10


def _sample(names: list[str]) -> str:
    more = len(names) - MAX_NAMES_IN_LOG
    return ", ".join(names[:MAX_NAMES_IN_LOG]) + (f" and {more} more" if more > 0 else "")


@dg.sensor(
    job=enrich_postings_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Lists RAW_POSTINGS_URI (paginated, from RAW_SENSOR_LOOKBACK_SECONDS before the newest file "
    "seen) and requests one run per date with new files; the run key changes whenever new files arrive.",
)
def raw_postings_sensor(context: dg.SensorEvaluationContext, storage: PostingsStorage) -> dg.SensorResult:
    cursor = ArrivalCursor.from_string(context.cursor)
    lookback = int(setting("RAW_SENSOR_LOOKBACK_SECONDS"))
    listed = [name for name, _ in storage.list_objects(storage.raw, start_after=cursor.scan_start(lookback))]
    first_partition, last_partition = partition_window()
    arrivals, next_cursor = detect_arrivals(cursor, listed, first_partition, last_partition, lookback)

    if arrivals.unrecognized:
        context.log.warning(
            f"ignoring {len(arrivals.unrecognized)} key(s) under {storage.raw_uri} that are not "
            f"<unix seconds>.jsonl: {_sample(arrivals.unrecognized)}"
        )
    if arrivals.before_start:
        context.log.warning(
            f"ignoring {len(arrivals.before_start)} file(s) dated before PARTITIONS_START_DATE "
            f"{first_partition}: {_sample(arrivals.before_start)}"
        )
    if arrivals.in_future:
        context.log.warning(
            f"{len(arrivals.in_future)} file(s) are dated after today (UTC); they will be picked up on their "
            f"day: {_sample(arrivals.in_future)}"
        )
    run_requests = [
        dg.RunRequest(
            run_key=f"{partition_key}:{xxhash.xxh3_64_hexdigest(' '.join(names).encode())}",
            partition_key=partition_key,
            tags={"enrichment/new_files": str(len(names)), "enrichment/newest_file": names[-1]},
        )
        for partition_key, names in arrivals.by_partition.items()
    ]
    if run_requests:
        context.log.info(
            "new raw files: "
            + ", ".join(f"{key}: {len(names)}" for key, names in arrivals.by_partition.items())
        )
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=next_cursor.to_string(),
        skip_reason=None if run_requests else dg.SkipReason(f"no new files under {storage.raw_uri}"),
    )
