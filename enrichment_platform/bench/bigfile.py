"""The big-file benchmark: one raw file of a chosen size (a backlog the scraper delivers in one object)
through every asset in one `dagster asset materialize` process, as production runs it. It answers: how
much resident memory the run takes at its peak (its process and every child: step processes and their
parse workers), against the goal of 400 MB whatever the size of the file; how long the file takes; and the
digests of the output and quarantine objects, which must not depend on the version measured.
"""

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import dagster as dg

from enrichment_platform.arrivals.file_names import day_bounds
from enrichment_platform.bench.data import Universe, generate_file
from enrichment_platform.bench.flow import (
    ASSETS,
    BUCKET,
    REPO,
    WAREHOUSE_ASSET,
    WAREHOUSE_SCHEMA,
    bench_environment,
    bench_services,
    generator_fingerprint,
    latest_metadata,
    run_partition,
)
from enrichment_platform.bench.usage import python_loop_seconds
from enrichment_platform.devstack.model_server import start_model_server

GOAL_MB = 400  # a run's peak resident memory, whatever the size of one file
PARTITION = "2024-07-17"


@dataclass
class BigFileConfig:
    size_mb: int = 1000  # of the raw file, in 10^6 bytes
    universe: int = 200_000
    zipf_exponent: float = 1.1
    seed: int = 7
    lines_per_block: int = 100_000  # lines generated at a time
    checkout: Path = REPO  # whose platform code the run imports: another checkout compares two versions
    results_dir: Path = REPO / "results"
    data_dir: Path = REPO / ".local" / "bench-data"


def big_file(config: BigFileConfig) -> tuple[Path, str, int]:
    """The raw file (path, object name, lines) of at least `size_mb` MB, generated a block of lines at a
    time and kept on disk for the next run."""
    key = hashlib.sha256(
        f"{generator_fingerprint()}:{config.size_mb}:{config.universe}:{config.zipf_exponent}:{config.seed}:"
        f"{config.lines_per_block}".encode()
    ).hexdigest()[:12]
    timestamp = day_bounds(PARTITION)[0] + 30
    directory = config.data_dir / f"bigfile-{config.size_mb}mb-{key}"
    path, count_path = directory / f"{timestamp}.jsonl", directory / "lines"
    if path.exists() and count_path.exists():
        return path, path.name, int(count_path.read_text())
    directory.mkdir(parents=True, exist_ok=True)
    universe = Universe.build(config.universe, config.zipf_exponent, config.seed)
    lines, written, block = 0, 0, 0
    partial = path.with_suffix(".partial")
    with partial.open("wb") as file:
        while written < config.size_mb * 10**6:
            data, _ = generate_file(
                universe, timestamp, config.lines_per_block, config.seed * 100_000 + block
            )
            file.write(data)
            written += len(data)
            lines += config.lines_per_block
            block += 1
            print(f"[bench] generated {written / 10**6:.0f} MB", flush=True)
    partial.rename(path)
    count_path.write_text(str(lines))
    return path, path.name, lines


def object_sha256(key: str) -> str | None:
    """The sha256 of an object of the benchmark's bucket, read a piece at a time; None when missing."""
    client = boto3.client("s3")
    try:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
    except client.exceptions.NoSuchKey:
        return None
    digest = hashlib.sha256()
    for piece in body.iter_chunks(2**20):
        digest.update(piece)
    return digest.hexdigest()


def markdown(result: dict) -> str:
    steps = ", ".join(f"{asset} {seconds:.1f} s" for asset, seconds in result["step_seconds"].items())
    verdict = "met" if result["peak_rss_mb"] <= GOAL_MB else "not met"
    return "\n".join(
        [
            f"# One {result['file_mb']:.0f} MB raw file ({result['lines']:,} lines) through every asset",
            "",
            "| figure | value |",
            "|---|---|",
            f"| run's peak resident memory (process and children) | {result['peak_rss_mb']:.0f} MiB "
            f"(goal ≤ {GOAL_MB} MB: {verdict}) |",
            f"| wall time of `dagster asset materialize` | {result['wall_seconds']:.1f} s |",
            f"| steps | {steps} |",
            f"| output lines / quarantined lines / warehouse rows | {result['output_lines']:,} / "
            f"{result['quarantined_lines']:,} / {result['warehouse_rows']:,} |",
            f"| output sha256 | `{result['output_sha256']}` |",
            f"| quarantine sha256 | `{result['quarantine_sha256']}` |",
            f"| python loop seconds before / after (machine speed) | {result['python_loop_seconds']} |",
            f"| code measured | {result['checkout']} |",
            "",
        ]
    )


def run_bigfile_bench(config: BigFileConfig) -> dict:
    """Generate (or reuse) the file, run it through every asset on fresh local services, and write
    bigfile.json and bigfile.md under a new results folder."""
    path, name, lines = big_file(config)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = config.results_dir / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bigfile-bench-"))
    speed_before = python_loop_seconds()
    try:
        with (
            bench_services(work) as services,
            start_model_server(capacity=0, workdir=work / "model") as model,
        ):
            boto3.client("s3").create_bucket(Bucket=BUCKET)
            print(f"[bench] uploading {path.stat().st_size / 10**6:.0f} MB ...", flush=True)
            boto3.client("s3").upload_file(str(path), BUCKET, f"raw/{name}")
            home = work / "dagster_home"
            env = {
                **bench_environment(home, BUCKET, services, WAREHOUSE_SCHEMA, "2024-07-01"),
                "SENIORITY_MODEL_TARGET": model.target,
                "SENIORITY_MODEL_VERSION": "bench-bigfile",
                "SENIORITY_MODEL_CAPACITY": "0",
            }
            print(f"[bench] materializing {PARTITION} ({lines:,} lines in one file) ...", flush=True)
            wall, usage, _ = run_partition(env, PARTITION, False, {}, checkout=config.checkout)
            with dg.DagsterInstance.from_config(str(home)) as instance:
                metadata = latest_metadata(instance, PARTITION)
            output_sha256 = object_sha256(f"mod/{name}")
            quarantine_sha256 = object_sha256(f"quarantine/{name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    raw = metadata["raw_job_postings"]
    result = {
        "file_mb": path.stat().st_size / 10**6,
        "lines": lines,
        "wall_seconds": round(wall, 1),
        "peak_rss_mb": round(usage["run"].peak_rss_mb, 1),
        "goal_mb": GOAL_MB,
        "step_seconds": {asset: metadata[asset].get("seconds", 0.0) for asset in (*ASSETS, WAREHOUSE_ASSET)},
        "output_lines": int(raw["valid_lines"]),
        "quarantined_lines": int(raw["quarantined_lines"]),
        "warehouse_rows": int(metadata[WAREHOUSE_ASSET].get("dagster/row_count", 0)),
        "output_sha256": output_sha256,
        "quarantine_sha256": quarantine_sha256,
        "python_loop_seconds": [speed_before, python_loop_seconds()],
        "checkout": str(config.checkout),
    }
    (out_dir / "bigfile.json").write_text(json.dumps(result, indent=2))
    (out_dir / "bigfile.md").write_text(markdown(result))
    print(markdown(result))
    print(f"[bench] results in {out_dir}", flush=True)
    return result
