"""The backfill benchmark: does a cold backfill keep the model busy? Several dates of synthetic files, a
fresh cache, and the model server at a capacity; Dagster's code server, webserver and daemon run with the
instance's dagster.yaml, and ONE backfill of every date is launched for the asset graph over the webserver's
GraphQL, as the UI's "Materialize all" does. The daemon turns it into runs, the run queue starts them.

Measured: from the model server's request log, when the model was busy; from the instance, each run's queue,
start-up and steps. The report (`backfill_report`) sets the backfill's wall time against the distinct new
pairs ÷ capacity, and says what the runs were doing whenever the model stood idle.
"""

import json
import shutil
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import dagster as dg
import numpy as np

from enrichment_platform.bench.backfill_report import (
    ASSETS,
    REALISTIC_CAPACITY,
    REALISTIC_PAIRS_PER_DATE,
    chart,
    markdown,
    projected_ratio,
    read_requests,
    summarize,
)
from enrichment_platform.bench.flow import (
    REPO,
    bench_environment,
    bench_services,
    day_files,
    day_generator,
    upload,
)
from enrichment_platform.bench.freshness_report import run_times
from enrichment_platform.devstack.dagster_stack import DagsterStack, start_dagster
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.processes import free_port

BUCKET = "bench-postings"  # flow.upload's bucket
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
    ... on Error { message }
  }
}"""
SENSOR = """query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) { __typename ... on Sensor { id } }
}"""
STOP_SENSOR = """mutation($id: String!) {
  stopSensor(id: $id) { __typename ... on StopSensorMutationResult { instigationState { status } } }
}"""
# The sensor would start runs of its own for the uploaded files: only the backfill's runs are measured.
RAW_SENSOR = {
    "repositoryLocationName": "enrichment_platform",
    "repositoryName": "__repository__",
    "sensorName": "raw_postings_sensor",
}
UNFINISHED_RUNS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
ENDED_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


@dataclass
class BackfillConfig:
    dates: int = 6
    files: int = 60  # per date
    lines_per_file: int = 5555
    universe: int = 200_000
    zipf_exponent: float = 1.1
    capacity: int = 500
    first_date: str = "2024-08-01"
    instance_config: Path = REPO / "dagster.yaml"
    timeout_seconds: float = 3_600.0
    seed: int = 7
    results_dir: Path = REPO / "results"
    data_dir: Path = REPO / ".local" / "bench-data"


def backfill_dates(config: BackfillConfig) -> list[str]:
    first = date.fromisoformat(config.first_date)
    return [(first + timedelta(days=offset)).isoformat() for offset in range(config.dates)]


def graphql(ui_url: str, query: str, **variables) -> dict:
    """The `data` of a query to the webserver; GraphQL errors raise with their messages."""
    request = urllib.request.Request(
        f"{ui_url}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.load(response)
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors from {ui_url}: {body['errors']}")
    return body["data"]


def stop_raw_sensor(ui_url: str) -> None:
    sensor = graphql(ui_url, SENSOR, selector=RAW_SENSOR)["sensorOrError"]
    stopped = graphql(ui_url, STOP_SENSOR, id=sensor["id"])["stopSensor"]
    if stopped.get("instigationState", {}).get("status") != "STOPPED":
        raise RuntimeError(f"the raw postings sensor did not stop: {stopped}")


def wait_for_backfill_daemon(stack: DagsterStack, home: Path, timeout: float = 120.0) -> None:
    """Until the daemon's backfill loop has reported in: a backfill launched before would be taken up at
    the loop's first pass, sooner than in a running deployment."""
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while "BACKFILL" not in instance.get_daemon_heartbeats():
            stopped = stack.stopped()
            if stopped is not None:
                raise RuntimeError(stopped.failure(f"{stopped.name} exited while starting"))
            if time.monotonic() > deadline:
                raise TimeoutError(f"the daemon's backfill loop did not report in {timeout:.0f} s")
            time.sleep(0.5)


def launch_backfill(ui_url: str, dates: list[str]) -> str:
    """Launch one backfill of `dates` for the asset graph's daily assets, as the UI does; its id."""
    launched = graphql(
        ui_url,
        LAUNCH_BACKFILL,
        params={"partitionNames": dates, "assetSelection": [{"path": [asset]} for asset in ASSETS]},
    )["launchPartitionBackfill"]
    if launched["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"the backfill was not launched: {launched}")
    return launched["backfillId"]


def wait_for_backfill(
    stack: DagsterStack, home: Path, backfill_id: str, dates: list[str], timeout: float
) -> None:
    """Until every date has a successful run and none is unfinished, or the backfill has ended; raises when
    a Dagster process exits or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while True:
            stopped = stack.stopped()
            if stopped is not None:
                raise RuntimeError(stopped.failure(f"{stopped.name} exited during the backfill"))
            tags = {"dagster/backfill": backfill_id}
            runs = instance.get_runs(dg.RunsFilter(tags=tags))
            unfinished = instance.get_runs_count(dg.RunsFilter(tags=tags, statuses=UNFINISHED_RUNS))
            succeeded = {
                run.tags.get("dagster/partition") for run in runs if run.status == dg.DagsterRunStatus.SUCCESS
            }
            backfill = instance.get_backfill(backfill_id)
            if not unfinished and (succeeded >= set(dates) or backfill.status.value in ENDED_BACKFILL):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"backfill {backfill_id} not done after {timeout:.0f} s: {len(succeeded)} of "
                    f"{len(dates)} dates succeeded, {unfinished} runs unfinished, status {backfill.status}"
                )
            time.sleep(1.0)


def run_backfill_bench(config: BackfillConfig) -> dict:
    """Run one cold backfill and write backfill.json, backfill.md and backfill.png under a new results
    folder."""
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = config.results_dir / stamp
    dates = backfill_dates(config)
    flow_config, universe = day_generator(
        config.lines_per_file, config.universe, config.zipf_exponent, config.seed, config.data_dir
    )
    print(f"[bench] generating {config.dates} dates x {config.files} files ...", flush=True)
    files = [
        file
        for index, day in enumerate(dates)
        for file in day_files(flow_config, universe, day, config.files, config.seed + 10 + index)
    ]
    distinct_new_pairs = universe.distinct_normalized(np.concatenate([ranks for _, _, ranks in files]))
    work = Path(tempfile.mkdtemp(prefix="backfill-bench-"))
    request_log = work / "model-requests.log"
    try:
        with (
            bench_services(work) as services,
            start_model_server(
                capacity=config.capacity, workdir=work / "model", request_log=request_log
            ) as model,
        ):
            boto3.client("s3").create_bucket(Bucket=BUCKET)
            home = work / "dagster_home"
            env = {
                **bench_environment(home, BUCKET, services, "bench", dates[0]),
                "SENIORITY_MODEL_TARGET": model.target,
                "SENIORITY_MODEL_CAPACITY": str(config.capacity),
                "SENIORITY_MODEL_VERSION": "bench-backfill",
                "ENRICHMENT_LOCAL_STAGE_DIR": str(work / "stage"),
            }
            print(f"[bench] uploading {len(files)} files ...", flush=True)
            upload(files, "raw/")
            print("[bench] starting Dagster (code server, webserver, daemon) ...", flush=True)
            stack = start_dagster(
                free_port(),
                home,
                work / "logs",
                env,
                before_daemon=stop_raw_sensor,
                instance_config=config.instance_config,
            )
            try:
                wait_for_backfill_daemon(stack, home)
                launched = time.time()
                backfill_id = launch_backfill(stack.ui_url, dates)
                print(f"[bench] backfill {backfill_id} of {dates[0]} .. {dates[-1]} launched", flush=True)
                wait_for_backfill(stack, home, backfill_id, dates, config.timeout_seconds)
            finally:
                stack.stop()
            with dg.DagsterInstance.from_config(str(home)) as instance:
                runs = run_times(instance, dates, launched - 1.0)
        requests = read_requests(request_log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarize(config.dates, launched, requests, config.capacity, distinct_new_pairs, runs)
    settings = {key: str(value) for key, value in config.__dict__.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "config": settings,
        "dates": dates,
        "backfill_id": backfill_id,
        "instance_config": config.instance_config.read_text(),
        "summary": summary,
        "projection": {
            "pairs_per_date": REALISTIC_PAIRS_PER_DATE,
            "capacity": REALISTIC_CAPACITY,
            "wall_ratio": projected_ratio(
                summary, config.dates, REALISTIC_PAIRS_PER_DATE, REALISTIC_CAPACITY
            ),
        },
    }
    (out_dir / "backfill.json").write_text(json.dumps(report, indent=2))
    (out_dir / "backfill.md").write_text(markdown(settings, summary))
    chart(summary, out_dir / "backfill.png")
    print(markdown(settings, summary))
    print(f"[bench] results in {out_dir}", flush=True)
    return summary
