"""The freshness benchmark: how long a file landing at the end of a day takes to reach its output, with the
sensor, the daemon's run queue and the runs as deployed, and today's partition already holding a full day.

The day is seeded as it stands at its end: its files really processed (one `dagster asset materialize` of the
partition: manifests, staging, warehouse rows and materializations are real), the augmented manifest copied to
the week before (what the level drift check reads), one SUCCESS run per file in the instance's history as the
sensor would have left them (written to the instance, not executed; see `freshness_history`), and the sensor's
cursor after them. Then Dagster's code server, webserver and daemon start, one file lands in an empty
partition (the baseline), and new files land one every `interval` seconds; each one's output is polled (HEAD).
"""

import json
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import dagster as dg

from enrichment_platform.arrivals.file_names import day_bounds, partition_key_for_timestamp
from enrichment_platform.bench.flow import REPO, bench_environment, bench_services, day_files, day_generator
from enrichment_platform.bench.freshness_history import (
    JOB_ASSETS,
    sensor_cursor_after,
    set_sensor_cursor,
    write_sensor_history,
)
from enrichment_platform.bench.freshness_report import file_breakdown, markdown, run_times, summarize
from enrichment_platform.devstack.dagster_stack import materialize_command, start_dagster
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.processes import free_port
from enrichment_platform.settings import setting

BUCKET = "freshness-bench"
CONTENT_DAY, NEW_CONTENT_DAY = "2024-07-17", "2024-07-19"  # the flow bench's day: its cached files are reused
DRIFT_HISTORY_DAYS = 7
AUGMENTED_ASSET = "seniority_augmented_postings"
POLL_SECONDS = 0.5
FILE_TIMEOUT_SECONDS = 600.0


@dataclass
class FreshnessConfig:
    history_files: int = 1440
    files: int = 30
    interval: float = 15.0
    lines: int = 5555
    universe: int = 200_000
    zipf_exponent: float = 1.1
    seed: int = 7
    results_dir: Path = REPO / "results"
    data_dir: Path = REPO / ".local" / "bench-data"


def history_names(history_files: int, today: str, now: float) -> list[str]:
    """Names of the day's files so far: spread evenly from midnight to two minutes ago, one per second at
    least."""
    start, end = day_bounds(today)
    last = int(now) - 120
    if last - start < history_files or end - now < 1_800:
        raise SystemExit(
            f"it is {datetime.now(tz=UTC):%H:%M} UTC: the bench needs today's partition to hold "
            f"{history_files} files named before now and half an hour left in the day; run it later"
        )
    step = (last - start) / history_files
    return [f"{start + int(index * step)}.jsonl" for index in range(history_files)]


def upload(client, prefix: str, files: list[tuple[str, bytes]]) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(lambda item: client.put_object(Bucket=BUCKET, Key=prefix + item[0], Body=item[1]), files)
        )


def seed_day(env: dict, today: str, log: Path) -> float:
    """Process the day's files with one `dagster asset materialize` of today's partition; its seconds."""
    started = time.perf_counter()
    with log.open("wb") as output:
        finished = subprocess.run(
            materialize_command(today), cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    if finished.returncode != 0:
        raise RuntimeError(f"seeding {today} failed; see {log}:\n{log.read_text()[-3000:]}")
    return time.perf_counter() - started


def latest_metadata(instance: dg.DagsterInstance, partition: str) -> dict[str, dict]:
    """The plain metadata values of each job asset's latest materialization of the partition."""
    metadata = {}
    for asset in JOB_ASSETS:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1
        ).records
        event = records[0].asset_materialization
        metadata[asset] = {
            key: value.value for key, value in event.metadata.items() if isinstance(value.value, int | float)
        }
    return metadata


def copy_manifest_to_week_before(client, today: str) -> None:
    """The level drift check reads the augmented manifests of the week before: give it full days to read."""
    source = f"staging/{AUGMENTED_ASSET}/{today}/_manifest.json"
    for days_back in range(1, DRIFT_HISTORY_DAYS + 1):
        day = (date.fromisoformat(today) - timedelta(days=days_back)).isoformat()
        client.copy_object(
            Bucket=BUCKET,
            Key=f"staging/{AUGMENTED_ASSET}/{day}/_manifest.json",
            CopySource={"Bucket": BUCKET, "Key": source},
        )


class OutputWatch:
    """Polls the output of each landed file (HEAD) and records when it became visible."""

    def __init__(self, client):
        self.client = client
        self.landed: dict[str, float] = {}
        self.visible: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def land(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=BUCKET, Key=f"raw/{name}", Body=data)
        with self._lock:
            self.landed[name] = time.time()

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            with self._lock:
                pending = [name for name in self.landed if name not in self.visible]
            for name in pending:
                try:
                    self.client.head_object(Bucket=BUCKET, Key=f"mod/{name}")
                except self.client.exceptions.ClientError:
                    continue
                with self._lock:
                    self.visible[name] = time.time()

    def wait(self, names: list[str], timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline and any(name not in self.visible for name in names):
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def next_name(previous: str | None) -> str:
    """A file named by the current second, after the previous one."""
    while True:
        name = f"{int(time.time())}.jsonl"
        if previous is None or name > previous:
            return name
        time.sleep(0.2)


def wait_for_runs(instance: dg.DagsterInstance, timeout: float) -> None:
    """Until no run is queued or in progress (the last runs' steps and checks end after their output)."""
    unfinished = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    deadline = time.time() + timeout
    while time.time() < deadline and instance.get_runs_count(dg.RunsFilter(statuses=unfinished)):
        time.sleep(1.0)


def measure(config: FreshnessConfig, home: Path, today: str, new_files: list) -> dict:
    """Land the baseline file and the new files with Dagster running; their latencies and breakdowns."""
    client = boto3.client("s3")
    watch = OutputWatch(client)
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    baseline_name = f"{int(time.time()) - 86_400}.jsonl"
    measured_from = time.time()
    print(f"[bench] one file into the empty partition {yesterday} ...", flush=True)
    watch.land(baseline_name, new_files[0][1])
    watch.wait([baseline_name], FILE_TIMEOUT_SECONDS)
    names, previous = [], None
    print(f"[bench] {config.files} files into {today}, one every {config.interval} s ...", flush=True)
    for _, data in new_files[1:]:
        began = time.time()
        previous = next_name(previous)
        names.append(previous)
        watch.land(previous, data)
        time.sleep(max(0.0, config.interval - (time.time() - began)))
    watch.wait(names, FILE_TIMEOUT_SECONDS)
    watch.stop()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        wait_for_runs(instance, 300.0)
        runs = run_times(instance, [today, yesterday], measured_from)
    baseline = file_breakdown(
        baseline_name, yesterday, watch.landed[baseline_name], watch.visible.get(baseline_name), runs
    )
    rows = [file_breakdown(name, today, watch.landed[name], watch.visible.get(name), runs) for name in names]
    return {"rows": rows, "baseline": baseline, "runs": [run.__dict__ for run in runs]}


def run_freshness_bench(config: FreshnessConfig) -> dict:
    """Seed the day, run the sensor and the new files, and write freshness.json and freshness.md."""
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = config.results_dir / stamp
    today = partition_key_for_timestamp(int(time.time()))
    names = history_names(config.history_files, today, time.time())
    flow_config, universe = day_generator(
        config.lines, config.universe, config.zipf_exponent, config.seed, config.data_dir
    )
    print(f"[bench] generating {config.history_files} + {config.files + 1} files ...", flush=True)
    history = day_files(flow_config, universe, CONTENT_DAY, config.history_files, config.seed)
    new_files = day_files(flow_config, universe, NEW_CONTENT_DAY, config.files + 1, config.seed + 3)
    work = Path(tempfile.mkdtemp(prefix="freshness-bench-"))
    timings = {}
    try:
        with (
            bench_services(work) as services,
            start_model_server(capacity=0, workdir=work / "model") as model,
        ):
            client = boto3.client("s3")
            client.create_bucket(Bucket=BUCKET)
            home = work / "dagster_home"
            partitions_start = (date.fromisoformat(today) - timedelta(days=30)).isoformat()
            env = {
                **bench_environment(home, BUCKET, services, "bench", partitions_start),
                "SENIORITY_MODEL_TARGET": model.target,
                "SENIORITY_MODEL_CAPACITY": "0",
                "SENIORITY_MODEL_VERSION": "bench-freshness",
                "ENRICHMENT_LOCAL_STAGE_DIR": str(work / "stage"),
            }
            print(f"[bench] uploading the day's {len(names)} files into {today} ...", flush=True)
            upload(client, "raw/", [(name, data) for name, (_, data, _) in zip(names, history)])
            print("[bench] processing them (dagster asset materialize) ...", flush=True)
            timings["seed_seconds"] = round(seed_day(env, today, work / "seed.log"), 1)
            copy_manifest_to_week_before(client, today)
            began = time.perf_counter()
            with dg.DagsterInstance.from_config(str(home)) as instance:
                metadata = latest_metadata(instance, today)
                write_sensor_history(instance, today, names, metadata)
            timings["history_seconds"] = round(time.perf_counter() - began, 1)
            cursor = sensor_cursor_after(names, int(setting("RAW_SENSOR_LOOKBACK_SECONDS")))
            print("[bench] starting Dagster (code server, webserver, daemon) ...", flush=True)
            stack = start_dagster(
                free_port(),
                home,
                work / "logs",
                env,
                before_daemon=lambda url: set_sensor_cursor(url, cursor),
            )
            try:
                result = measure(config, home, today, [(n, d) for n, d, _ in new_files])
            finally:
                stack.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarize(result["rows"], result["baseline"])
    report = {
        "config": {key: str(value) for key, value in config.__dict__.items()},
        "partition": today,
        "timings": timings,
        "summary": summary,
        "files": result["rows"],
        "runs": result["runs"],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "freshness.json").write_text(json.dumps(report, indent=2, default=str))
    (out_dir / "freshness.md").write_text(markdown(config.__dict__, summary, result["rows"]))
    print(markdown(config.__dict__, summary, result["rows"]))
    print(f"[bench] results in {out_dir}", flush=True)
    return summary
