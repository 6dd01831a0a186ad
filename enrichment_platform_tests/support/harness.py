"""Running the real flow in tests: the test bucket, one-partition runs, their metadata, sensor ticks."""

import json
import logging
import shutil
from pathlib import Path

import boto3
import dagster as dg

from enrichment_platform.defs.assets.augmented import seniority_augmented_postings
from enrichment_platform.defs.assets.exported import exported_job_postings
from enrichment_platform.defs.assets.raw import raw_job_postings
from enrichment_platform.defs.assets.requests import REQUEST_ASSETS
from enrichment_platform.defs.assets.warehouse import postings_warehouse
from enrichment_platform.defs.checks import ALL_CHECKS
from enrichment_platform.defs.checks.requests import REQUEST_CHECKS
from enrichment_platform.defs.partitions import pushed_requests
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.defs.sensors import raw_postings_sensor

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "resources" / "deploy"
FLOW = [raw_job_postings, seniority_augmented_postings, exported_job_postings]
CHECKS = ALL_CHECKS


class Bucket:
    """boto3 access to the test's bucket, in the terms of the configured prefixes."""

    def __init__(self, name: str):
        self.name = name
        self.client = boto3.client("s3")

    def put(self, prefix: str, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=f"{prefix}/{name}", Body=data)

    def get(self, prefix: str, name: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=f"{prefix}/{name}")["Body"].read()

    def names(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=f"{prefix}/")
        return sorted(item["Key"][len(prefix) + 1 :] for page in pages for item in page.get("Contents", ()))


def run_flow(
    instance,
    partition_key: str,
    full_refresh: bool = False,
    resources: dict | None = None,
    warehouse: bool = False,
):
    """Materialize the three assets (and with `warehouse` postings_warehouse) and their checks for one
    partition, as the sensor's job does."""
    assets = [*FLOW, postings_warehouse] if warehouse else FLOW
    config = {"full_refresh": full_refresh}
    run_config = {"ops": {asset.op.name: {"config": config} for asset in assets}}
    return dg.materialize(
        [*assets, *CHECKS],
        partition_key=partition_key,
        resources=resources or default_resources(),
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def deploy_json(name: str) -> dict:
    """A JSON configuration of resources/deploy/ (task definitions, services, policies)."""
    return json.loads((DEPLOY / name).read_text())


def materialize_date_arguments(date: str) -> list[str]:
    """What follows `dagster` to materialize the daily job-postings assets of one date, as operators do."""
    return [
        "asset",
        "materialize",
        "-m",
        "enrichment_platform.definitions",
        "--select",
        "group:job_postings",
        "--partition",
        date,
    ]


def process_request(instance, erid: str):
    """Materialize a pushed request's assets and checks, as the sensor's run does (raise_on_error=False)."""
    instance.add_dynamic_partitions(pushed_requests.name, [erid])
    return dg.materialize(
        [*REQUEST_ASSETS, *REQUEST_CHECKS],
        partition_key=erid,
        resources=default_resources(),
        instance=instance,
        raise_on_error=False,
    )


def materialization_metadata(result, asset) -> dict:
    events = result.asset_materializations_for_node(asset.op.name)
    return {key: value.value for key, value in events[-1].metadata.items()}


class LogRecords(logging.Handler):
    """The records a sensor logs through `context.log`."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def warnings(self) -> list[str]:
        return [record.getMessage() for record in self.records if record.levelno == logging.WARNING]


def sensor_tick(instance, cursor=None, log: LogRecords | None = None) -> dg.SensorResult:
    """One evaluation of raw_postings_sensor with the resources the environment configures."""
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=default_resources()) as context:
        if log is not None:
            context.log.addHandler(log)
        return raw_postings_sensor(context)


def failure_messages(result) -> str:
    """The errors of a run's failed step attempts (those Dagster retried too), with their causes."""
    failed = (dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    return "\n".join(
        event.event_specific_data.error.to_string()
        for event in result.all_events
        if event.event_type in failed
    )


def retried(result) -> bool:
    """Whether Dagster retried a step of the run."""
    return any(event.event_type == dg.DagsterEventType.STEP_RESTARTED for event in result.all_events)


def instance_from_file(config: Path, home: Path) -> dg.DagsterInstance:
    """The instance a deployment gets from `config` as its $DAGSTER_HOME/dagster.yaml."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(config, home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def operating_settings(instance: dg.DagsterInstance) -> tuple:
    """What every deployment must share with the local dagster.yaml: run queue and pools, run retries, run
    monitoring."""
    return (
        instance.get_concurrency_config(),
        instance.run_retries_max_retries,
        instance.run_monitoring_settings,
    )
