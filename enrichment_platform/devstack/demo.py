"""`make demo`: the whole platform on this machine, with sample data and a live sensor, in the Dagster UI.

Starts (or reuses) Redis, an S3 API endpoint (moto, devstack/s3_endpoint.py), the seniority model server,
uploads sample raw files for the last three UTC dates, drops a new file every minute like the scraper, and
runs `dagster dev`.
Ctrl-C stops everything it started.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

from enrichment_platform.devstack import sample_data, services
from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.settings import setting

REPO = Path(__file__).resolve().parents[2]
# The demo's own Redis database on a shared server: the demo never touches anyone's db 0.
DEMO_REDIS_DB = 1


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3000, help="Dagster UI port (default 3000)")
    parser.add_argument("--files-per-date", type=int, default=6)
    parser.add_argument("--lines-per-file", type=int, default=2000)
    parser.add_argument("--drop-every", type=float, default=60.0, help="seconds between new files (0: none)")
    parser.add_argument("--workdir", type=Path, default=REPO / ".local")
    return parser.parse_args(argv)


def start_redis(workdir: Path) -> tuple[str, services.RedisService | None]:
    """REDIS_URL if reachable, else the machine's Redis on 6379 (db 1), else a private redis-server."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        if not services.reachable_redis(configured):
            raise SystemExit(f"REDIS_URL={configured} does not answer; unset it to let the demo start Redis.")
        return configured, None
    if services.reachable_redis(services.DEFAULT_REDIS_URL):
        return f"redis://127.0.0.1:6379/{DEMO_REDIS_DB}", None
    service = services.start_redis(workdir / "redis")
    return service.url, service


def drop_new_files(raw_uri: str, every: float, stop: threading.Event) -> None:
    """Upload a file named by the current time every `every` seconds, as the scraper does."""
    seed = 1_000
    while not stop.wait(every):
        seed += 1
        timestamp = int(time.time())
        name = f"{timestamp}.jsonl"
        data = sample_data.generate_file(timestamp, n_lines=1500, seed=seed)
        raw = S3Location.parse(raw_uri)
        boto3.client("s3").put_object(Bucket=raw.bucket, Key=raw.key(name), Body=data)
        print(f"[demo] dropped {raw_uri}{name} ({len(data):,} bytes)", flush=True)


def raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    # A shell that starts a job in the background makes it ignore SIGINT, and children inherit that;
    # handling both signals here means Ctrl-C and `kill` always stop the demo and everything it started.
    signal.signal(signal.SIGINT, raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    workdir = arguments.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    dagster_home = workdir / "dagster_home"
    dagster_home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")

    with ExitStack() as stack:
        redis_url, redis_service = start_redis(workdir)
        if redis_service is not None:
            stack.callback(redis_service.stop)
        s3 = services.start_moto_server_process(services.free_port(), workdir / "moto")
        stack.callback(s3.stop)
        os.environ.update(services.local_aws_env(s3.endpoint_url))
        model = services.start_model_server(
            port=services.free_port(), capacity=1000, workdir=workdir / "model"
        )
        stack.callback(model.stop)

        raw_uri = setting("RAW_POSTINGS_URI")
        for name in ("RAW_POSTINGS_URI", "AUGMENTED_POSTINGS_URI", "QUARANTINE_URI", "STAGING_URI"):
            services.ensure_bucket(s3.endpoint_url, S3Location.parse(setting(name)).bucket)
        today = datetime.now(tz=UTC).date()
        dates = [today - timedelta(days=offset) for offset in (2, 1, 0)]
        sample_data.upload_sample_data(
            s3.endpoint_url, raw_uri, dates, arguments.files_per_date, arguments.lines_per_file
        )

        os.environ.update(
            {
                "REDIS_URL": redis_url,
                "SENIORITY_MODEL_TARGET": model.target,
                "DAGSTER_HOME": str(dagster_home),
                # Recent partitions only, so the UI opens on the demo's dates.
                "PARTITIONS_START_DATE": os.environ.get("PARTITIONS_START_DATE", dates[0].isoformat()),
            }
        )
        stop_dropping = threading.Event()
        stack.callback(stop_dropping.set)
        if arguments.drop_every > 0:
            threading.Thread(
                target=drop_new_files, args=(raw_uri, arguments.drop_every, stop_dropping), daemon=True
            ).start()

        command = [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-w",
            str(REPO / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(arguments.port),
        ]
        # Its own session: `dagster dev` ignores signals when started in the background, so its whole
        # process group is stopped on exit.
        dagster = subprocess.Popen(command, cwd=REPO, start_new_session=True)
        stack.callback(stop_process_group, dagster)
        print(
            "\n[demo] local stack is up:\n"
            f"  Dagster UI     http://127.0.0.1:{arguments.port}\n"
            f"  S3 endpoint    {s3.endpoint_url}  (raw files: {raw_uri})\n"
            f"  Redis          {redis_url}\n"
            f"  model server   {model.target} (capacity 1000 pairs/s)\n"
            f"  sample data    {len(dates)} dates x {arguments.files_per_date} files; the sensor starts runs "
            "within a minute\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        try:
            dagster.wait()
        except KeyboardInterrupt:
            print("\n[demo] stopping ...", flush=True)


def stop_process_group(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGINT the process group (what `dagster dev` shuts down on), then SIGKILL what is left after `timeout`."""
    if process.poll() is not None:
        return
    for sig in (signal.SIGINT, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
