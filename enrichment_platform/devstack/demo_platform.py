"""The demo's platform, brought up in order: a private Redis, an S3 API endpoint with the sample dates, the
model server, the PostgreSQL warehouse, Dagster and the push API; then the banner, new files dropped like the
scraper's, and a watch on every service.
"""

import argparse
import os
import threading
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta

import boto3

from enrichment_platform.devstack import sample_data
from enrichment_platform.devstack.api_process import start_api_process
from enrichment_platform.devstack.dagster_stack import DagsterStack, start_dagster
from enrichment_platform.devstack.demo_workdir import DemoWorkdir, say, shown
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.postgres_install import psql_path
from enrichment_platform.devstack.postgres_server import PostgresService, redact, start_postgres
from enrichment_platform.devstack.processes import ServiceStartError, free_port, port_free
from enrichment_platform.devstack.redis_server import start_redis
from enrichment_platform.devstack.s3_server import ensure_bucket, local_aws_env, start_moto_server_process
from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.settings import setting

MODEL_CAPACITY = 1000
S3_URI_SETTINGS = (
    "RAW_POSTINGS_URI",
    "AUGMENTED_POSTINGS_URI",
    "QUARANTINE_URI",
    "STAGING_URI",
    "REQUESTS_URI",
)
DEMO_API_KEY = "demo-key"  # the push API's bearer key in the demo (ENRICHMENT_API_KEYS)
API_PORT = 8000  # the push API's port when it is free, else any free one
SAMPLE_PART_LINES = 200
# The demo's own database in the machine's PostgreSQL: created at start, dropped at Ctrl-C unless KEEP.
WAREHOUSE_DATABASE = "enrichment_demo"


def drop_new_files(raw_uri: str, every: float, stop: threading.Event) -> None:
    """Upload a file named by the current time every `every` seconds, as the scraper does."""
    raw = S3Location.parse(raw_uri)
    client = boto3.client("s3")
    seed = 1_000
    while not stop.wait(every):
        seed += 1
        timestamp = int(time.time())
        name = f"{timestamp}.jsonl"
        data = sample_data.generate_file(timestamp, n_lines=1500, seed=seed)
        client.put_object(Bucket=raw.bucket, Key=raw.key(name), Body=data)
        say(f"dropped {raw_uri}{name} ({len(data):,} bytes)")


def platform_settings(
    workdir: DemoWorkdir,
    s3_endpoint: str,
    redis_url: str,
    model_target: str,
    warehouse: PostgresService,
    first_date: date,
) -> dict[str, str]:
    """Every variable the platform, the dagster CLI, boto3 and psql need to reach the demo's services."""
    return {
        "DAGSTER_HOME": str(workdir.dagster_home),
        **local_aws_env(s3_endpoint),
        "REDIS_URL": redis_url,
        "SENIORITY_MODEL_TARGET": model_target,
        "SENIORITY_MODEL_CAPACITY": str(MODEL_CAPACITY),
        "WAREHOUSE_URL": warehouse.libpq_url,
        "WAREHOUSE_SCHEMA": setting("WAREHOUSE_SCHEMA"),
        **{name: setting(name) for name in S3_URI_SETTINGS},
        # Recent partitions only, so the UI opens on the demo's dates.
        "PARTITIONS_START_DATE": os.environ.get("PARTITIONS_START_DATE") or first_date.isoformat(),
        "ENRICHMENT_LOCAL_STAGE_DIR": str(workdir.stage),
        "ENRICHMENT_API_KEYS": DEMO_API_KEY,
    }


def api_lines(url: str, sample_part: str) -> list[str]:
    """The banner's lines on the push API: a curl session to paste, from a part to its enriched output."""
    auth = f"-H 'Authorization: Bearer {DEMO_API_KEY}'"
    request = f"{url}/v1/requests/demo-1"
    return [
        f"  push API      {url}   key {DEMO_API_KEY}   (docs/api.md; processed within ~15 s of close)",
        f"                curl {auth} -H 'Content-Type: application/x-ndjson' --data-binary @{sample_part} "
        f"{request}/parts",
        f"                curl {auth} -X POST {request}/close",
        f"                curl {auth} {request}            # open, processing, then done",
        f"                curl {auth} {request}/output     # the enriched JSONL",
        f"                curl {auth} -H 'Content-Type: application/json' "
        f"""-d '{{"pairs": [{{"company": "Acme", "title": "Staff Engineer"}}]}}' {url}/v1/seniority""",
    ]


def warehouse_lines(warehouse: PostgresService, settings: dict) -> list[str]:
    """The banner's lines on the warehouse: its URL, whose server it is, and a psql command to paste."""
    if warehouse.mode == "external":
        where = f"(a database of its own in the machine's PostgreSQL at {warehouse.host}:{warehouse.port})"
    else:
        where = f"(a private server from pgserver's binaries, files in {shown(warehouse.install.root)}/)"
    psql = psql_path()
    # A password stays in the env file rather than on the screen.
    target = f"'{warehouse.libpq_url}'" if not warehouse.password else '"$WAREHOUSE_URL"'
    query = (
        f"select seniority, count(*) from {settings['WAREHOUSE_SCHEMA']}.job_postings group by 1 order by 1"
    )
    if psql is None:
        connect = "no psql on this machine: any PostgreSQL client connects with the URL above"
    else:
        connect = f'{psql} {target} -c "{query}"'
    return [
        f"  warehouse     {redact(warehouse.libpq_url)}   schema {settings['WAREHOUSE_SCHEMA']}",
        f"                {where}",
        f"                {connect}",
    ]


def banner(
    arguments: argparse.Namespace,
    workdir: DemoWorkdir,
    dagster: DagsterStack,
    warehouse: PostgresService,
    settings: dict,
    api: list[str] = (),
) -> str:
    dropping = (
        f"; a new file every {arguments.drop_every:g} s" if arguments.drop_every > 0 else "; no new files"
    )
    external = warehouse.mode == "external"
    if arguments.keep:
        kept_database = f"database {warehouse.db_name}" if external else f"{shown(warehouse.install.root)}/"
        after = (
            f"stops every service; keeps the run history ({shown(workdir.dagster_home)}), the warehouse\n"
            f"                ({kept_database}) and the logs. S3 objects and the cache live in memory:\n"
            "                they go with their servers."
        )
    else:
        dropped = f"drops database {warehouse.db_name}, " if external else ""
        after = (
            f"stops every service, {dropped}removes {shown(workdir.root)}\n"
            "                (make demo KEEP=1 keeps them)."
        )
    return "\n".join(
        [
            "",
            "[demo] the platform is up",
            f"  Dagster UI    {dagster.ui_url}   (the sensor starts runs within a minute)",
            f"  S3 endpoint   {settings['AWS_ENDPOINT_URL']}   raw files: {settings['RAW_POSTINGS_URI']}",
            f"                {3 * arguments.files_per_date} sample files over 3 dates{dropping}",
            f"  Redis         {settings['REDIS_URL']}   (private, in memory)",
            f"  model server  {settings['SENIORITY_MODEL_TARGET']}   (capacity {MODEL_CAPACITY} pairs/s)",
            *warehouse_lines(warehouse, settings),
            *api,
            f"  logs          {shown(workdir.logs)}/   one file per service",
            f"  settings      source {shown(workdir.env_file)}",
            "                then e.g. `dagster asset list -m enrichment_platform.definitions`",
            f"  Ctrl-C        {after}",
            "",
        ]
    )


def run_demo(arguments: argparse.Namespace, workdir: DemoWorkdir, stack: ExitStack) -> None:
    """Start every service, upload the sample data, print the banner and wait for Ctrl-C."""
    say(f"starting Redis, S3, the model server, PostgreSQL and Dagster; logs go to {shown(workdir.logs)}/")
    # Every service inherits it, so their temporary files go where the clean-up finds them.
    os.environ["TMPDIR"] = str(workdir.tmp)
    redis = start_redis(workdir.logs)
    stack.callback(redis.stop)
    s3 = start_moto_server_process(free_port(), workdir.logs)
    stack.callback(s3.stop)
    model = start_model_server(capacity=MODEL_CAPACITY, workdir=workdir.logs)
    stack.callback(model.stop)
    warehouse = start_postgres(
        workdir.postgres, database=WAREHOUSE_DATABASE, logs=workdir.logs, keep=arguments.keep
    )
    stack.callback(warehouse.stop)

    today = datetime.now(tz=UTC).date()
    dates = [today - timedelta(days=offset) for offset in (2, 1, 0)]
    settings = platform_settings(workdir, s3.endpoint_url, redis.url, model.target, warehouse, dates[0])
    os.environ.update(settings)
    for name in S3_URI_SETTINGS:
        ensure_bucket(s3.endpoint_url, S3Location.parse(settings[name]).bucket)
    sample_data.upload_sample_data(
        s3.endpoint_url,
        settings["RAW_POSTINGS_URI"],
        dates,
        arguments.files_per_date,
        arguments.lines_per_file,
    )
    workdir.write_env_file(settings)

    dagster_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    dagster = start_dagster(arguments.port, workdir.dagster_home, workdir.logs, dagster_env)
    stack.callback(dagster.stop)
    api, api_url = start_api_process(
        dagster_env, workdir.logs / "api.log", API_PORT if port_free(API_PORT) else None
    )
    stack.callback(api.stop)
    sample_part = workdir.tmp / "sample-part.jsonl"
    sample_part.write_bytes(sample_data.generate_file(int(time.time()), n_lines=SAMPLE_PART_LINES, seed=7))

    stop_dropping = threading.Event()
    stack.callback(stop_dropping.set)
    if arguments.drop_every > 0:
        threading.Thread(
            target=drop_new_files,
            args=(settings["RAW_POSTINGS_URI"], arguments.drop_every, stop_dropping),
            daemon=True,
        ).start()
    api_banner = api_lines(api_url, shown(sample_part))
    print(banner(arguments, workdir, dagster, warehouse, settings, api_banner), flush=True)

    services = [redis.process, s3.process, model.process, *dagster.processes, api]
    if warehouse.process is not None:
        services.append(warehouse.process)
    while True:
        time.sleep(1.0)
        stopped = next((process for process in services if not process.running()), None)
        if stopped is not None:
            raise ServiceStartError(
                stopped.failure(f"{stopped.name} stopped unexpectedly (exit code {stopped.popen.returncode})")
            )
