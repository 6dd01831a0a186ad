"""The flow benchmark: a synthetic day through the real assets, on local services, answering an operator's
questions (time per file and per day, cache read/write shares, CPU and memory per process, model requests
per distinct pair, cache bytes per pair).

Passes, each a `dagster asset materialize` process like production's:
1. cold: a few files on a fresh cache namespace, the model capped at its capacity;
2. fill: the whole day on another fresh namespace, the model uncapped (fills the cache);
3. warm: the whole day again with `full_refresh` (every pair cached) — the day's time;
4. one file: a partition holding one new file — Dagster's own overhead per run.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import boto3
import dagster as dg
import numpy as np
import psutil
import redis

from enrichment_platform.arrivals.file_names import day_bounds
from enrichment_platform.bench.data import Universe, generate_file
from enrichment_platform.devstack import services

REPO = Path(__file__).resolve().parents[2]
BUCKET = "bench-postings"
DAY, COLD_DAY, ONE_FILE_DAY = "2024-07-17", "2024-07-16", "2024-07-18"
ASSETS = ("raw_job_postings", "seniority_augmented_postings", "exported_job_postings")


@dataclass
class BenchConfig:
    files: int = 1440
    lines_per_file: int = 5555
    universe: int = 200_000
    zipf_exponent: float = 1.1
    cold_files: int = 20
    capacity: int = 1000
    seed: int = 7
    results_dir: Path = REPO / "results"
    data_dir: Path = REPO / ".local" / "bench-data"


@dataclass
class ProcessUsage:
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    rss_samples_mb: list = field(default_factory=list)


@dataclass
class PassResult:
    name: str
    partition: str
    files: int
    lines: int
    wall_seconds: float
    step_seconds: dict
    metadata: dict
    usage: dict
    machine_busy_share: float = 0.0  # of all cores, while the pass ran


class UsageMonitor:
    """Samples CPU time and resident memory of named processes (with their children) every 0.1 s."""

    def __init__(self, processes: dict[str, int]):
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.usage = {name: ProcessUsage() for name in processes}
        self._stop = threading.Event()
        self._start_cpu = {name: self._cpu(process) for name, process in self.processes.items()}
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._machine_start = psutil.cpu_times()
        self.machine_busy_share = 0.0  # of all cores, over the monitored time

    @staticmethod
    def _busy_and_total(times) -> tuple[float, float]:
        total = sum(times)
        return total - times.idle - getattr(times, "iowait", 0.0), total

    @staticmethod
    def _tree(process: psutil.Process) -> list[psutil.Process]:
        try:
            return [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _cpu(self, process: psutil.Process) -> float:
        """CPU seconds of a process and its children: the living ones, and those it has reaped (worker
        processes that ended), which the kernel adds to its children's times."""
        total = 0.0
        for member in self._tree(process):
            try:
                times = member.cpu_times()
                total += times.user + times.system
                if member is process:
                    total += times.children_user + times.children_system
            except psutil.NoSuchProcess:
                pass
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            for name, process in self.processes.items():
                rss = 0
                for member in self._tree(process):
                    try:
                        rss += member.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                usage = self.usage[name]
                usage.rss_samples_mb.append(rss / 2**20)
                usage.peak_rss_mb = max(usage.peak_rss_mb, rss / 2**20)
                if rss:
                    usage.cpu_seconds = self._cpu(process) - self._start_cpu[name]

    def __enter__(self) -> "UsageMonitor":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        busy_end, total_end = self._busy_and_total(psutil.cpu_times())
        busy_start, total_start = self._busy_and_total(self._machine_start)
        self.machine_busy_share = (busy_end - busy_start) / max(total_end - total_start, 1e-9)


def day_files(config: BenchConfig, universe: Universe, partition: str, count: int, seed: int):
    """(name, bytes, ranks) for `count` files spread over the partition's day, cached on disk."""
    key = hashlib.sha256(
        f"{config.lines_per_file}:{config.universe}:{config.zipf_exponent}:{partition}:{count}:{seed}".encode()
    ).hexdigest()[:12]
    directory = config.data_dir / f"{partition}-{key}"
    start, _ = day_bounds(partition)
    step = 86_400 // max(count, 1)
    files = []
    for index in range(count):
        timestamp = start + 30 + index * step
        path, ranks_path = directory / f"{timestamp}.jsonl", directory / f"{timestamp}.ranks.npy"
        if path.exists() and ranks_path.exists():
            data, ranks = path.read_bytes(), np.load(ranks_path)
        else:
            data, ranks = generate_file(universe, timestamp, config.lines_per_file, seed * 100_000 + index)
            directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            np.save(ranks_path, ranks)
        files.append((path.name, data, ranks))
    return files


def upload(files, prefix: str) -> None:
    client = boto3.client("s3")
    for name, data, _ in files:
        client.put_object(Bucket=BUCKET, Key=f"{prefix}{name}", Body=data)


def run_partition(
    env: dict, partition: str, full_refresh: bool, monitored: dict[str, int]
) -> tuple[float, dict, float]:
    """One `dagster asset materialize` process for a partition; its wall time, resource usage per process,
    and the share of the machine's cores busy meanwhile."""
    config = {"ops": {asset: {"config": {"full_refresh": full_refresh}} for asset in ASSETS}}
    command = [
        sys.executable,
        "-m",
        "dagster",
        "asset",
        "materialize",
        "-m",
        "enrichment_platform.definitions",
        "--select",
        "*",
        "--partition",
        partition,
        "--config-json",
        json.dumps(config),
    ]
    log = Path(env["DAGSTER_HOME"]) / f"materialize-{partition}-{time.time():.0f}.log"
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
        with UsageMonitor({"run": process.pid, **monitored}) as monitor:
            returncode = process.wait()
    wall = time.perf_counter() - started
    if returncode != 0:
        raise RuntimeError(
            f"dagster asset materialize {partition} failed; see {log}:\n{log.read_text()[-3000:]}"
        )
    return wall, monitor.usage, monitor.machine_busy_share


def latest_metadata(instance: dg.DagsterInstance, partition: str) -> dict[str, dict]:
    metadata = {}
    for asset in ASSETS:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1
        ).records
        event = records[0].asset_materialization
        metadata[asset] = {
            key: value.value
            for key, value in event.metadata.items()
            if isinstance(value.value, int | float | str)
        }
    return metadata


def python_loop_seconds(steps: int = 10_000_000, repeats: int = 2) -> float:
    """Seconds of a pure-Python loop, best of `repeats`: this machine's speed at the time, so that figures
    from different days (or a shared host under other load) can be compared."""
    best = float("inf")
    for _ in range(repeats):
        started, total = time.perf_counter(), 0
        for step in range(steps):
            total += step
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def run_flow_bench(config: BenchConfig) -> dict:
    """Run every pass and write bench.json, bench.md and bench.png under a new results folder."""
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = config.results_dir / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="flow-bench-"))
    universe = Universe.build(config.universe, config.zipf_exponent, config.seed)
    print(f"[bench] generating {config.files} files x {config.lines_per_file} lines ...", flush=True)
    day = day_files(config, universe, DAY, config.files, config.seed)
    cold = day_files(config, universe, COLD_DAY, config.cold_files, config.seed + 1)
    one = day_files(config, universe, ONE_FILE_DAY, 1, config.seed + 2)
    speed_before = python_loop_seconds()

    with (
        services.start_redis(work / "redis") as redis_service,
        services.start_moto_server_process(services.free_port(), work / "moto") as s3,
        services.start_model_server(capacity=0, workdir=work / "model-fast") as fast_model,
        services.start_model_server(capacity=config.capacity, workdir=work / "model-capped") as capped_model,
    ):
        os.environ.update(services.local_aws_env(s3.endpoint_url))
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        home = work / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        env = {
            **os.environ,
            **services.local_aws_env(s3.endpoint_url),
            "DAGSTER_HOME": str(home),
            "REDIS_URL": redis_service.url,
            "RAW_POSTINGS_URI": f"s3://{BUCKET}/raw/",
            "AUGMENTED_POSTINGS_URI": f"s3://{BUCKET}/mod/",
            "QUARANTINE_URI": f"s3://{BUCKET}/quarantine/",
            "STAGING_URI": f"s3://{BUCKET}/staging/",
            "PARTITIONS_START_DATE": "2024-07-01",
            "SENIORITY_CACHE_EXPECTED_PAIRS": str(config.universe),
        }
        print("[bench] uploading ...", flush=True)
        upload(day + cold + one, "raw/")
        redis_client = redis.Redis.from_url(redis_service.url)
        monitored = {"redis-server": redis_service.process.pid, "moto_server": s3.process.pid}
        passes = {}

        def run_pass(name, partition, files, model, namespace, full_refresh=False):
            print(f"[bench] pass {name}: {partition}, {len(files)} files", flush=True)
            pass_env = {
                **env,
                "SENIORITY_MODEL_TARGET": model.target,
                "SENIORITY_MODEL_VERSION": namespace,
                "SENIORITY_MODEL_CAPACITY": str(config.capacity if model is capped_model else 0),
            }
            memory_before = redis_client.info("memory")["used_memory"]
            wall, usage, busy_share = run_partition(
                pass_env, partition, full_refresh, {**monitored, "model-server": model.process.pid}
            )
            with dg.DagsterInstance.from_config(str(home)) as instance:
                metadata = latest_metadata(instance, partition)
            passes[name] = PassResult(
                name=name,
                partition=partition,
                files=len(files),
                lines=int(metadata["raw_job_postings"].get("lines", 0)),
                wall_seconds=wall,
                step_seconds={asset: metadata[asset].get("seconds", 0.0) for asset in ASSETS},
                metadata={
                    **metadata,
                    "redis_used_memory_growth": redis_client.info("memory")["used_memory"] - memory_before,
                },
                machine_busy_share=busy_share,
                usage={
                    key: {
                        "cpu_seconds": round(value.cpu_seconds, 2),
                        "peak_rss_mb": round(value.peak_rss_mb, 1),
                        "rss_samples_mb": value.rss_samples_mb,
                    }
                    for key, value in usage.items()
                },
            )

        run_pass("cold", COLD_DAY, cold, capped_model, "bench-cold")
        run_pass("fill", DAY, day, fast_model, "bench-day")
        run_pass("warm", DAY, day, fast_model, "bench-day", full_refresh=True)
        run_pass("one_file", ONE_FILE_DAY, one, fast_model, "bench-day")
    speed_after = python_loop_seconds()

    shutil.rmtree(work, ignore_errors=True)
    cold_distinct = universe.distinct_normalized(np.concatenate([ranks for _, _, ranks in cold]))
    day_distinct = universe.distinct_normalized(np.concatenate([ranks for _, _, ranks in day]))
    summary = summarize(config, passes, cold_distinct, day_distinct)
    summary["python_loop_seconds"] = [speed_before, speed_after]
    (out_dir / "bench.json").write_text(
        json.dumps(
            {
                "config": {k: str(v) for k, v in config.__dict__.items()},
                "summary": summary,
                "passes": {name: result.__dict__ for name, result in passes.items()},
            },
            indent=2,
            default=str,
        )
    )
    (out_dir / "bench.md").write_text(markdown(summary))
    chart(passes["warm"], out_dir / "bench.png")
    print(markdown(summary))
    print(f"[bench] results in {out_dir}", flush=True)
    return summary


AUGMENT_STAGES = (
    "seconds_normalize",
    "seconds_cache_read",
    "seconds_model",
    "seconds_cache_write",
    "seconds_waiting",
)


def augment_wall_shares(result: PassResult) -> dict[str, float]:
    """The augmentation step's wall time split by stage. Stage times are summed over files that run
    concurrently, so they are scaled to the step's wall time in proportion."""
    metadata = result.metadata["seniority_augmented_postings"]
    stage_sum = sum(metadata.get(stage, 0.0) for stage in AUGMENT_STAGES) or 1.0
    wall = result.step_seconds["seniority_augmented_postings"]
    return {stage: wall * metadata.get(stage, 0.0) / stage_sum for stage in AUGMENT_STAGES}


def summarize(
    config: BenchConfig, passes: dict[str, PassResult], cold_distinct: int, day_distinct: int
) -> dict:
    warm, fill, cold, one = passes["warm"], passes["fill"], passes["cold"], passes["one_file"]
    fill_aug = fill.metadata["seniority_augmented_postings"]
    cold_aug = cold.metadata["seniority_augmented_postings"]
    warm_steps = sum(warm.step_seconds.values())
    rss = warm.usage["run"]["rss_samples_mb"]
    half = len(rss) // 2
    # The steps' own CPU: the warm run's less a one-file run's (Dagster's start-up, events and checks).
    steps_cpu = warm.usage["run"]["cpu_seconds"] - one.usage["run"]["cpu_seconds"]
    cores = os.cpu_count() or 1
    return {
        "machine": f"{cores} cores, {psutil.virtual_memory().total / 2**30:.0f} GB",
        "date": datetime.now(tz=UTC).date().isoformat(),
        "day_lines": warm.lines,
        "day_files": warm.files,
        "one_file_seconds": round(one.wall_seconds, 2),
        "day_warm_seconds": round(warm.wall_seconds, 1),
        "day_fill_seconds_uncapped_model": round(fill.wall_seconds, 1),
        "asset_code_lines_per_second_warm": round(warm.lines / warm_steps) if warm_steps else 0,
        "warm_step_seconds": {k: round(v, 2) for k, v in warm.step_seconds.items()},
        "cache_read_share_warm": round(
            augment_wall_shares(warm)["seconds_cache_read"] / warm.wall_seconds, 3
        ),
        "cache_write_share_fill": round(
            augment_wall_shares(fill)["seconds_cache_write"] / fill.wall_seconds, 3
        ),
        "cold_augment_step_seconds": round(cold.step_seconds["seniority_augmented_postings"], 1),
        "cold_seconds": round(cold.wall_seconds, 1),
        "cold_steps_seconds": round(sum(cold.step_seconds.values()), 1),  # without Dagster's start-up
        "cold_distinct_normalized_pairs": cold_distinct,
        "cold_target_seconds": round(1.05 * cold_distinct / config.capacity, 1),
        "cold_model_requests": cold_aug.get("model_requests"),
        "model_requests_per_distinct_pair": round(cold_aug.get("model_requests", 0) / cold_distinct, 4),
        "day_model_requests_per_distinct_pair": round(fill_aug.get("model_requests", 0) / day_distinct, 4),
        "day_distinct_normalized_pairs": day_distinct,
        "cache_bytes_per_pair": round(fill.metadata["redis_used_memory_growth"] / max(day_distinct, 1), 1),
        "cpu_seconds_warm": {name: usage["cpu_seconds"] for name, usage in warm.usage.items()},
        "machine_busy_share_warm": round(warm.machine_busy_share, 3),
        "steps_cpu_seconds_per_million_lines_warm": round(steps_cpu / warm.lines * 1e6, 2)
        if warm.lines
        else 0,
        # What this build could reach on these cores if S3 and Redis ran elsewhere (they share them here).
        "lines_per_second_ceiling_run_alone": round(warm.lines / (steps_cpu / cores)) if steps_cpu > 0 else 0,
        "peak_rss_mb_warm": {name: usage["peak_rss_mb"] for name, usage in warm.usage.items()},
        "run_rss_mb_first_half_peak": round(max(rss[:half] or [0]), 1),
        "run_rss_mb_second_half_peak": round(max(rss[half:] or [0]), 1),
    }


def markdown(summary: dict) -> str:
    rows = [
        (
            "1. one file through the whole flow (`dagster asset materialize`, 1-file partition)",
            f"{summary['one_file_seconds']} s",
        ),
        (
            f"2. a day ({summary['day_files']:,} files, {summary['day_lines']:,} lines), warm cache",
            f"{summary['day_warm_seconds']} s",
        ),
        ("   the same day, cold cache, model uncapped", f"{summary['day_fill_seconds_uncapped_model']} s"),
        (
            "   asset code path, warm (lines / sum of step seconds)",
            f"{summary['asset_code_lines_per_second_warm']:,} lines/s",
        ),
        ("3. share of the warm day spent reading the cache", f"{summary['cache_read_share_warm']:.1%}"),
        ("4. share of the cold day spent writing the cache", f"{summary['cache_write_share_fill']:.1%}"),
        (
            "5. CPU seconds per process, warm day",
            ", ".join(f"{k} {v}" for k, v in summary["cpu_seconds_warm"].items()),
        ),
        ("   cores busy during the warm day (all processes)", f"{summary['machine_busy_share_warm']:.0%}"),
        (
            "   the steps' own CPU, warm (run less a one-file run), and the rate it allows on these cores "
            "if S3 and Redis ran elsewhere",
            f"{summary['steps_cpu_seconds_per_million_lines_warm']} CPU-s per million lines: at most "
            f"{summary['lines_per_second_ceiling_run_alone']:,} lines/s",
        ),
        (
            "6. peak memory per process, warm day (MB)",
            ", ".join(f"{k} {v}" for k, v in summary["peak_rss_mb_warm"].items()),
        ),
        (
            "   run memory, peak in first / second half of the day (MB)",
            f"{summary['run_rss_mb_first_half_peak']} / {summary['run_rss_mb_second_half_peak']}",
        ),
        (
            f"cold: {summary['cold_distinct_normalized_pairs']:,} distinct pairs at the model's capacity, whole run "
            "/ the three steps / augmentation step",
            f"{summary['cold_seconds']} s / {summary['cold_steps_seconds']} s / {summary['cold_augment_step_seconds']} s "
            f"(pairs ÷ capacity × 1.05 = {summary['cold_target_seconds']} s)",
        ),
        (
            "model requests per distinct normalized pair (cold files / whole day)",
            f"{summary['model_requests_per_distinct_pair']} / {summary['day_model_requests_per_distinct_pair']}",
        ),
        (
            "cache bytes per pair (Redis used_memory growth / distinct pairs)",
            f"{summary['cache_bytes_per_pair']}",
        ),
    ]
    before, after = summary.get("python_loop_seconds", ("?", "?"))
    lines = [
        f"Machine: {summary['machine']}; date {summary['date']}; a 10,000,000-step Python loop took {before} s "
        f"before the passes and {after} s after (figures scale with it).",
        "",
        "| question | answer |",
        "|---|---|",
    ]
    lines += [f"| {question} | {answer} |" for question, answer in rows]
    return "\n".join(lines) + "\n"


def chart(warm: PassResult, path: Path) -> None:
    """Where the warm day's wall time goes: Dagster start-up and overhead, and each step's parts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = warm.step_seconds
    shares = augment_wall_shares(warm)
    parts = {
        "raw_job_postings": steps["raw_job_postings"],
        "augment: normalize": shares["seconds_normalize"],
        "augment: cache read": shares["seconds_cache_read"],
        "augment: model and cache write": shares["seconds_model"]
        + shares["seconds_cache_write"]
        + shares["seconds_waiting"],
        "exported_job_postings": steps["exported_job_postings"],
        "Dagster start-up, checks, run overhead": max(0.0, warm.wall_seconds - sum(steps.values())),
    }
    figure, axis = plt.subplots(figsize=(9, 2.8))
    left = 0.0
    for label, seconds in parts.items():
        axis.barh([0], [seconds], left=left, label=f"{label} ({seconds:.1f} s)")
        left += seconds
    axis.set_yticks([])
    axis.set_xlabel("seconds of the warm day's wall time")
    axis.set_title(f"Warm day: {warm.lines:,} lines in {warm.wall_seconds:.1f} s")
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
