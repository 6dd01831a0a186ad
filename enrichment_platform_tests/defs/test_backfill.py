"""A 30-day backfill of the three assets, launched from the asset graph over `dagster dev`'s GraphQL, runs
within the run queue's limits (dagster.yaml) and the model's capacity (the server's request log)."""

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

from enrichment_platform.bench.model import max_in_window
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform_tests.support.dagster_dev import LOCATION, dagster_dev

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST_DAY = date(2024, 6, 1)
DAYS = [(FIRST_DAY + timedelta(days=offset)).isoformat() for offset in range(30)]
CAPACITY = 100  # pairs/s
# Small days, and two days of 1.5 s of capacity each: sent unpaced, either would exceed the capacity alone.
PAIRS = {day: 150 if day in DAYS[10:12] else 10 for day in DAYS}
ASSETS = ["raw_job_postings", "seniority_augmented_postings", "exported_job_postings"]
# The run queue of dagster.yaml.
MAX_RUNS, MAX_BACKFILL_RUNS = 4, 3

SENSOR_QUERY = """query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) { __typename ... on Sensor { id } }
}"""
STOP_SENSOR = """mutation($id: String!) {
  stopSensor(id: $id) { __typename ... on StopSensorMutationResult { instigationState { status } } }
}"""
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message }
  }
}"""
BACKFILL_RUNS = """query($filter: RunsFilter!) {
  runsOrError(filter: $filter) {
    ... on Runs { results { runId status startTime endTime tags { key value } } }
  }
}"""
BACKFILL_STATUS = """query($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
}"""
ENDED_RUN = {"SUCCESS", "FAILURE", "CANCELED"}
ENDED_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
MATERIALIZED = """query($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) { ... on AssetNode { partitionStats { numMaterialized numFailed } } }
}"""


def upload_small_days(bucket) -> None:
    """One small file per day; every posting a pair no other day has."""
    for index, (day, pairs) in enumerate(PAIRS.items()):
        midnight = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
        lines = [
            orjson.dumps(
                {
                    "url": f"https://example.com/{index}/{i}",
                    "company": f"Company {index}",
                    "title": f"Engineer {i}",
                }
            )
            for i in range(pairs)
        ]
        bucket.put("job-postings-raw", f"{midnight + 3600}.jsonl", b"\n".join(lines) + b"\n")


def most_at_once(runs: list[dict]) -> int:
    """The most runs in progress at one instant, from their start and end times."""
    edges = sorted([(run["startTime"], 1) for run in runs] + [(run["endTime"], -1) for run in runs])
    in_progress, most = 0, 0
    for _, change in edges:
        in_progress += change
        most = max(most, in_progress)
    return most


@pytest.fixture
def capped_model(platform_env, tmp_path):
    """A model server at CAPACITY pairs/s that logs every request; the runs pace themselves to that rate."""
    log = tmp_path / "model-requests.log"
    with start_model_server(capacity=CAPACITY, workdir=tmp_path / "model", request_log=log) as server:
        yield server.target, log


def test_thirty_day_backfill_completes_within_the_run_queue_limits_and_the_model_capacity(
    bucket, capped_model, tmp_path
):
    target, request_log = capped_model
    env = {
        "PARTITIONS_START_DATE": DAYS[0],
        "SENIORITY_MODEL_TARGET": target,
        "SENIORITY_MODEL_CAPACITY": str(CAPACITY),
        "SENIORITY_MODEL_VERSION": f"backfill-{tmp_path.name}",
    }
    # dagster.yaml as shipped (its queue is read every second).
    with dagster_dev(tmp_path, env) as dev:
        # Only the backfill's runs: the sensor would start runs of its own for the new files.
        sensor = dev.graphql(SENSOR_QUERY, selector={**LOCATION, "sensorName": "raw_postings_sensor"})
        stopped = dev.graphql(STOP_SENSOR, id=sensor["sensorOrError"]["id"])
        assert stopped["stopSensor"]["instigationState"]["status"] == "STOPPED"
        upload_small_days(bucket)

        launched = dev.graphql(
            LAUNCH_BACKFILL,
            params={"partitionNames": DAYS, "assetSelection": [{"path": [asset]} for asset in ASSETS]},
        )
        assert launched["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["launchPartitionBackfill"]["backfillId"]

        def finished_runs():
            """The backfill's runs once every date has a run and all have ended (or the backfill ended)."""
            runs = dev.graphql(
                BACKFILL_RUNS, filter={"tags": [{"key": "dagster/backfill", "value": backfill_id}]}
            )["runsOrError"]["results"]
            backfill = dev.graphql(BACKFILL_STATUS, id=backfill_id)["partitionBackfillOrError"]
            all_launched = len(runs) >= len(DAYS) or backfill.get("status") in ENDED_BACKFILL
            return all_launched and all(run["status"] in ENDED_RUN for run in runs) and runs

        # However slow the machine, the wait fails only once no run, step or the backfill changes status.
        runs = dev.wait_for(finished_runs, "the backfill's runs did not all end", interval=2)
        materialized = {
            asset: dev.graphql(MATERIALIZED, key={"path": [asset]})["assetNodeOrError"]["partitionStats"]
            for asset in ASSETS
        }

    assert [run["status"] for run in runs] == ["SUCCESS"] * len(DAYS)
    partitions = [{tag["key"]: tag["value"] for tag in run["tags"]}["dagster/partition"] for run in runs]
    assert sorted(partitions) == DAYS  # one run per date, the three assets together
    assert all(stats == {"numMaterialized": len(DAYS), "numFailed": 0} for stats in materialized.values()), (
        materialized
    )
    assert len(bucket.names("job-postings-mod")) == len(DAYS)

    # Never more than the backfill limit (itself under the run limit), and runs did overlap. Whether all three
    # places fill at one instant depends on the machine: these runs last a few seconds, their start-ups more.
    assert 1 < most_at_once(runs) <= MAX_BACKFILL_RUNS < MAX_RUNS

    requests = [line.split() for line in request_log.read_text().splitlines()]
    assert sum(int(pairs) for _, pairs in requests) == sum(PAIRS.values())  # each new pair asked once
    # At most the capacity plus one request of a quarter second's capacity in any second (as the model bench).
    assert max_in_window(request_log, 1.0) <= CAPACITY + CAPACITY // 4
