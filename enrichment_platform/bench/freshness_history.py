"""The freshness benchmark's day so far, as the instance would hold it at the end of a day: one run of the
sensor per file (SUCCESS, with the tags the sensor gives and a materialization of each asset of the job),
written to the instance's storage instead of executed; and the sensor's cursor after the day's files."""

import time
import uuid

import dagster as dg
import requests
import xxhash
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from enrichment_platform.arrivals.file_names import file_timestamp
from enrichment_platform.arrivals.scan import ArrivalCursor

JOB_NAME = "enrich_postings_job"
SENSOR_NAME = "raw_postings_sensor"
JOB_ASSETS = (
    "raw_job_postings",
    "seniority_augmented_postings",
    "exported_job_postings",
    "postings_warehouse",
    "seniority_daily_summary",
)
LOCATION_NAME = "enrichment_platform"
SET_CURSOR = """mutation SetSensorCursor($selector: SensorSelector!, $cursor: String) {
  setSensorCursor(sensorSelector: $selector, cursor: $cursor) {
    __typename
    ... on PythonError { message }
    ... on SensorNotFoundError { message }
  }
}"""


def sensor_run_tags(partition: str, name: str) -> dict[str, str]:
    """The tags a run the sensor requested for one new file carries."""
    return {
        "dagster/partition": partition,
        "dagster/sensor_name": SENSOR_NAME,
        "dagster/run_key": f"{partition}:{xxhash.xxh3_64_hexdigest(name.encode())}",
        "enrichment/new_files": "1",
        "enrichment/newest_file": name,
    }


def _event(run_id: str, at: float, event_type: DagsterEventType, **fields) -> EventLogEntry:
    dagster_event = DagsterEvent(event_type_value=event_type.value, job_name=JOB_NAME, **fields)
    return EventLogEntry(
        error_info=None,
        level="DEBUG",
        user_message="",
        run_id=run_id,
        timestamp=at,
        step_key=fields.get("step_key"),
        job_name=JOB_NAME,
        dagster_event=dagster_event,
    )


def write_sensor_history(
    instance: dg.DagsterInstance, partition: str, names: list[str], metadata: dict[str, dict]
) -> int:
    """One SUCCESS run per file name, created at the file's time, with a materialization of each asset of the
    job carrying `metadata[asset]` (a real run's); returns how many runs were written."""
    for name in names:
        landed = float(file_timestamp(name))
        run_id = str(uuid.uuid4())
        instance.add_run(
            DagsterRun(
                job_name=JOB_NAME,
                run_id=run_id,
                run_config={},
                asset_selection=frozenset(dg.AssetKey(asset) for asset in JOB_ASSETS),
                status=DagsterRunStatus.NOT_STARTED,
                tags=sensor_run_tags(partition, name),
            )
        )
        instance.handle_new_event(_event(run_id, landed + 5, DagsterEventType.RUN_START))
        for offset, asset in enumerate(JOB_ASSETS):
            materialization = dg.AssetMaterialization(
                asset_key=asset, partition=partition, metadata=metadata.get(asset, {})
            )
            instance.handle_new_event(
                _event(
                    run_id,
                    landed + 6 + offset,
                    DagsterEventType.ASSET_MATERIALIZATION,
                    step_key=asset,
                    event_specific_data=StepMaterializationData(materialization),
                )
            )
        instance.handle_new_event(_event(run_id, landed + 12, DagsterEventType.RUN_SUCCESS))
    return len(names)


def sensor_cursor_after(names: list[str], lookback_seconds: int, now: int | None = None) -> str:
    """The cursor the sensor leaves once it has requested every name (its listing state)."""
    high_water = min(max(file_timestamp(name) for name in names), int(time.time()) if now is None else now)
    cursor = ArrivalCursor(high_water=high_water)
    start = cursor.scan_start(lookback_seconds, now)
    cursor.seen = {name for name in names if name > start}
    return cursor.to_string()


def set_sensor_cursor(ui_url: str, cursor: str) -> None:
    """Store the raw postings sensor's cursor through the webserver (before the daemon's first tick)."""
    selector = {
        "repositoryLocationName": LOCATION_NAME,
        "repositoryName": "__repository__",
        "sensorName": SENSOR_NAME,
    }
    answer = requests.post(
        f"{ui_url}/graphql",
        json={"query": SET_CURSOR, "variables": {"selector": selector, "cursor": cursor}},
        timeout=60,
    )
    answer.raise_for_status()
    result = answer.json()["data"]["setSensorCursor"]
    if result["__typename"] != "Sensor":
        raise RuntimeError(f"could not set the cursor of {SENSOR_NAME}: {result}")
