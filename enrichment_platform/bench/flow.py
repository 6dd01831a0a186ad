"""The flow benchmark: a synthetic day through the real assets, on local services, answering an operator's
questions (time per file and per day, cache read/write shares, CPU and memory per process, model requests
per distinct pair, cache bytes per pair).

Passes, each a `dagster asset materialize` process like production's:
1. cold: a few files on a fresh cache namespace, the model capped at its capacity;
2. fill: the whole day on another fresh namespace, the model uncapped (fills the cache);
3. warm: the whole day again with `full_refresh` (every pair cached) — the day's time;
4. one file: a partition holding one new file — Dagster's own overhead per run.

Chosen with `passes` (those four by default), also:
5. warm3: the warm day through the three file assets only (raw, augmented, exported), and a one-file run of
   the same three (one_file3) whose CPU is taken off to give the steps' own;
6. hour: an hour's worth of the day's files (cached pairs) in a partition of their own, a user's first run of
   it through every asset — where Dagster's fixed costs per run show.
A warm pass needs the cache filled and its one-file run to subtract: those passes run too when not chosen.

The summary, its table and chart are in `flow_report`; the processes' usage is measured by `usage`.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import boto3
import dagster as dg
import numpy as np
import redis

from enrichment_platform.arrivals.file_names import day_bounds
from enrichment_platform.bench import data as generator
from enrichment_platform.bench.data import Universe, generate_file
from enrichment_platform.bench.flow_report import BASELINE, chart, markdown, summarize
from enrichment_platform.bench.usage import UsageMonitor, python_loop_seconds
from enrichment_platform.bench.warehouse import bytes_per_row
from enrichment_platform.devstack import synthetic
from enrichment_platform.devstack.dagster_stack import materialize_command
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.postgres_server import PostgresService, start_postgres
from enrichment_platform.devstack.processes import free_port
from enrichment_platform.devstack.redis_server import RedisService, start_redis
from enrichment_platform.devstack.s3_server import (
    MotoProcessService,
    local_aws_env,
    local_aws_environ,
    start_moto_server_process,
)

REPO = Path(__file__).resolve().parents[2]
BUCKET = "bench-postings"
DAY, COLD_DAY, ONE_FILE_DAY = "2024-07-17", "2024-07-16", "2024-07-18"
HOUR_DAY, ONE_FILE3_DAY = "2024-07-19", "2024-07-20"
HOUR_FILES = 60
ASSETS = ("raw_job_postings", "seniority_augmented_postings", "exported_job_postings")
WAREHOUSE_ASSET = "postings_warehouse"
DEFAULT_PASSES = ("cold", "fill", "warm", "one_file")
PASSES = (*DEFAULT_PASSES, "one_file3", "warm3", "hour")
# What a pass needs run before it: the filled cache, and the one-file run its steps' own CPU is taken from.
NEEDS = {name: ("fill", baseline) for name, baseline in BASELINE.items()}
WAREHOUSE_SCHEMA = "bench"


@dataclass
class BenchConfig:
    files: int = 1440
    lines_per_file: int = 5555
    universe: int = 200_000
    zipf_exponent: float = 1.1
    cold_files: int = 20
    capacity: int = 1000
    s3_latency_ms: int = 0  # every S3 answer delayed by this much, as a distant S3's
    passes: tuple[str, ...] = DEFAULT_PASSES
    checkout: Path = REPO  # whose platform code the runs import: another checkout compares two versions
    seed: int = 7
    results_dir: Path = REPO / "results"
    data_dir: Path = REPO / ".local" / "bench-data"


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
    assets: tuple[str, ...] = (*ASSETS, WAREHOUSE_ASSET)


def passes_to_run(chosen) -> list[str]:
    """The chosen passes with those they need, in the order they run."""
    unknown = set(chosen) - set(PASSES)
    if unknown:
        raise ValueError(f"unknown pass(es) {', '.join(sorted(unknown))}; choose from {', '.join(PASSES)}")
    wanted = set(chosen)
    for name in chosen:
        wanted.update(NEEDS.get(name, ()))
    return [name for name in PASSES if name in wanted]


@cache
def generator_fingerprint() -> str:
    """A digest of the generator's code and vocabulary: cached days are made anew when either changes."""
    digest = hashlib.sha256()
    for path in (
        Path(generator.__file__),
        Path(synthetic.__file__),
        *sorted(synthetic.vocabulary_file("").glob("*.yaml")),
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def day_generator(
    lines_per_file: int, universe: int, zipf_exponent: float, seed: int, data_dir: Path
) -> tuple[BenchConfig, Universe]:
    """What `day_files` needs to make days of files of `lines_per_file` lines from a universe of `universe`
    pairs, cached under `data_dir`: the settings, and the pairs."""
    config = BenchConfig(
        lines_per_file=lines_per_file, universe=universe, zipf_exponent=zipf_exponent, data_dir=data_dir
    )
    return config, Universe.build(universe, zipf_exponent, seed)


def day_files(config: BenchConfig, universe: Universe, partition: str, count: int, seed: int):
    """(name, bytes, ranks) for `count` files spread over the partition's day, cached on disk."""
    key = hashlib.sha256(
        f"{generator_fingerprint()}:{config.lines_per_file}:{config.universe}:{config.zipf_exponent}:"
        f"{partition}:{count}:{seed}".encode()
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


@dataclass
class BenchServices:
    redis: RedisService
    s3: MotoProcessService
    postgres: PostgresService


@contextmanager
def bench_services(work: Path, s3_latency_ms: int = 0) -> Iterator[BenchServices]:
    """A benchmark's own Redis, S3 API endpoint (a process of its own, each answer delayed by
    `s3_latency_ms`) and PostgreSQL under `work`; boto3 in this process points at that endpoint meanwhile."""
    with (
        start_redis(work / "redis") as redis_service,
        start_moto_server_process(free_port(), work / "moto", latency_ms=s3_latency_ms) as s3,
        start_postgres(work / "postgres") as postgres,
        local_aws_environ(s3.endpoint_url),
    ):
        yield BenchServices(redis_service, s3, postgres)


def bench_environment(
    home: Path, bucket: str, services: BenchServices, warehouse_schema: str, partitions_start: str
) -> dict[str, str]:
    """Make a benchmark's Dagster home (the checkout's dagster.yaml) and return its processes' environment:
    this one's, with the platform's settings pointing at the benchmark's own services and bucket."""
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        **local_aws_env(services.s3.endpoint_url),
        "DAGSTER_HOME": str(home),
        "REDIS_URL": services.redis.url,
        "RAW_POSTINGS_URI": f"s3://{bucket}/raw/",
        "AUGMENTED_POSTINGS_URI": f"s3://{bucket}/mod/",
        "QUARANTINE_URI": f"s3://{bucket}/quarantine/",
        "STAGING_URI": f"s3://{bucket}/staging/",
        "PARTITIONS_START_DATE": partitions_start,
        "WAREHOUSE_URL": services.postgres.libpq_url,
        "WAREHOUSE_SCHEMA": warehouse_schema,
    }


def run_partition(
    env: dict,
    partition: str,
    full_refresh: bool,
    monitored: dict[str, int],
    assets: tuple[str, ...] = (*ASSETS, WAREHOUSE_ASSET),
    checkout: Path = REPO,
) -> tuple[float, dict, float]:
    """One `dagster asset materialize` process for a partition (of every asset, or of `assets`), importing
    the code of `checkout`; its wall time, resource usage per process, and the share of the machine's cores
    busy meanwhile."""
    config = {"ops": {asset: {"config": {"full_refresh": full_refresh}} for asset in assets}}
    command = materialize_command(partition, config)
    if set(assets) != {*ASSETS, WAREHOUSE_ASSET}:
        command[command.index("--select") + 1] = ",".join(assets)
    log = Path(env["DAGSTER_HOME"]) / f"materialize-{partition}-{time.time():.0f}.log"
    if checkout != REPO:
        env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(checkout), env.get("PYTHONPATH")]))}
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=checkout, env=env, stdout=output, stderr=subprocess.STDOUT)
        with UsageMonitor({"run": process.pid, **monitored}) as monitor:
            returncode = process.wait()
    wall = time.perf_counter() - started
    if returncode != 0:
        raise RuntimeError(
            f"dagster asset materialize {partition} failed; see {log}:\n{log.read_text()[-3000:]}"
        )
    return wall, monitor.usage, monitor.machine_busy_share


def latest_metadata(
    instance: dg.DagsterInstance, partition: str, assets: tuple[str, ...] = (*ASSETS, WAREHOUSE_ASSET)
) -> dict[str, dict]:
    metadata = {}
    for asset in assets:
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


def run_flow_bench(config: BenchConfig) -> dict:
    """Run the chosen passes (with those they need) and write bench.json, bench.md and, with the warm pass,
    bench.png under a new results folder."""
    chosen = passes_to_run(config.passes)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = config.results_dir / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="flow-bench-"))
    universe = Universe.build(config.universe, config.zipf_exponent, config.seed)
    print(f"[bench] generating {config.files} files x {config.lines_per_file} lines ...", flush=True)
    day = day_files(config, universe, DAY, config.files, config.seed)
    cold = (
        day_files(config, universe, COLD_DAY, config.cold_files, config.seed + 1) if "cold" in chosen else []
    )
    one = day_files(config, universe, ONE_FILE_DAY, 1, config.seed + 2) if "one_file" in chosen else []
    one3 = day_files(config, universe, ONE_FILE3_DAY, 1, config.seed + 2) if "one_file3" in chosen else []
    # The day's first files again (same seed: the same, cached pairs), named into a day of their own.
    hour = (
        day_files(config, universe, HOUR_DAY, min(HOUR_FILES, config.files), config.seed)
        if "hour" in chosen
        else []
    )
    speed_before = python_loop_seconds()

    with (
        bench_services(work, config.s3_latency_ms) as services,
        start_model_server(capacity=0, workdir=work / "model-fast") as fast_model,
        start_model_server(capacity=config.capacity, workdir=work / "model-capped") as capped_model,
    ):
        redis_service, s3, postgres = services.redis, services.s3, services.postgres
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        home = work / "dagster_home"
        env = bench_environment(home, BUCKET, services, WAREHOUSE_SCHEMA, "2024-07-01")
        print("[bench] uploading ...", flush=True)
        upload(day + cold + one + one3 + hour, "raw/")
        redis_client = redis.Redis.from_url(redis_service.url)
        monitored = {"redis-server": redis_service.process.pid, "moto_server": s3.process.pid}
        passes = {}

        def run_pass(name, partition, files, model, namespace, full_refresh=False, assets=None):
            assets = assets or (*ASSETS, WAREHOUSE_ASSET)
            print(f"[bench] pass {name}: {partition}, {len(files)} files", flush=True)
            pass_env = {
                **env,
                "SENIORITY_MODEL_TARGET": model.target,
                "SENIORITY_MODEL_VERSION": namespace,
                "SENIORITY_MODEL_CAPACITY": str(config.capacity if model is capped_model else 0),
            }
            memory_before = redis_client.info("memory")["used_memory"]
            wall, usage, busy_share = run_partition(
                pass_env,
                partition,
                full_refresh,
                {**monitored, "model-server": model.process.pid},
                assets,
                config.checkout,
            )
            with dg.DagsterInstance.from_config(str(home)) as instance:
                metadata = latest_metadata(instance, partition, assets)
            passes[name] = PassResult(
                name=name,
                partition=partition,
                files=len(files),
                lines=int(metadata["raw_job_postings"].get("run_lines", 0)),  # this pass's files
                wall_seconds=wall,
                step_seconds={asset: metadata[asset].get("seconds", 0.0) for asset in ASSETS},
                metadata={
                    **metadata,
                    "redis_used_memory_growth": redis_client.info("memory")["used_memory"] - memory_before,
                    "warehouse_bytes_per_row": bytes_per_row(postgres.libpq_url, WAREHOUSE_SCHEMA)
                    if WAREHOUSE_ASSET in assets
                    else 0.0,
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
                assets=assets,
            )

        runs = {
            "cold": lambda: run_pass("cold", COLD_DAY, cold, capped_model, "bench-cold"),
            "fill": lambda: run_pass("fill", DAY, day, fast_model, "bench-day"),
            "warm": lambda: run_pass("warm", DAY, day, fast_model, "bench-day", full_refresh=True),
            "one_file": lambda: run_pass("one_file", ONE_FILE_DAY, one, fast_model, "bench-day"),
            "one_file3": lambda: run_pass(
                "one_file3", ONE_FILE3_DAY, one3, fast_model, "bench-day", assets=ASSETS
            ),
            "warm3": lambda: run_pass(
                "warm3", DAY, day, fast_model, "bench-day", full_refresh=True, assets=ASSETS
            ),
            "hour": lambda: run_pass("hour", HOUR_DAY, hour, fast_model, "bench-day"),
        }
        for name in chosen:
            runs[name]()
    speed_after = python_loop_seconds()

    shutil.rmtree(work, ignore_errors=True)
    distinct = {
        "cold": universe.distinct_normalized(np.concatenate([ranks for _, _, ranks in cold])) if cold else 0,
        "day": universe.distinct_normalized(np.concatenate([ranks for _, _, ranks in day])),
    }
    summary = summarize(config, passes, distinct["cold"], distinct["day"])
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
    if "warm" in passes:
        chart(passes["warm"], out_dir / "bench.png")
    print(markdown(summary))
    print(f"[bench] results in {out_dir}", flush=True)
    return summary
