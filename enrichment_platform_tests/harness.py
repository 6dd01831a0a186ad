"""Running the real flow in tests: the test bucket in SPEC terms, one-partition runs, their metadata."""

import shutil
from pathlib import Path

import boto3
import dagster as dg

from enrichment_platform.assets.augmented import seniority_augmented_postings
from enrichment_platform.assets.exported import exported_job_postings
from enrichment_platform.assets.raw import raw_job_postings
from enrichment_platform.checks import ALL_CHECKS
from enrichment_platform.resources import default_resources

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "resources" / "deploy"
FLOW = [raw_job_postings, seniority_augmented_postings, exported_job_postings]
CHECKS = ALL_CHECKS


class Bucket:
    """boto3 access to the test's bucket, in the terms of the SPEC's prefixes."""

    def __init__(self, name: str):
        self.name = name
        self.client = boto3.client("s3")

    def put(self, prefix: str, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=f"{prefix}/{name}", Body=data)

    def get(self, prefix: str, name: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=f"{prefix}/{name}")["Body"].read()

    def names(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=f"{prefix}/")
        return sorted(item["Key"][len(prefix) + 1:] for page in pages for item in page.get("Contents", ()))


def run_flow(instance, partition_key: str, full_refresh: bool = False, resources: dict | None = None):
    """Materialize the three assets and their checks for one partition, as the sensor's job does."""
    config = {"full_refresh": full_refresh}
    run_config = {"ops": {asset.op.name: {"config": config} for asset in FLOW}}
    return dg.materialize(
        [*FLOW, *CHECKS],
        partition_key=partition_key,
        resources=resources or default_resources(),
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def materialization_metadata(result, asset) -> dict:
    events = result.asset_materializations_for_node(asset.op.name)
    return {key: value.value for key, value in events[-1].metadata.items()}


def instance_from_file(config: Path, home: Path) -> dg.DagsterInstance:
    """The instance a deployment gets from `config` as its $DAGSTER_HOME/dagster.yaml."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(config, home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def operating_settings(instance: dg.DagsterInstance) -> tuple:
    """What every deployment must share with the local dagster.yaml: run queue and pools, run retries, run
    monitoring."""
    return instance.get_concurrency_config(), instance.run_retries_max_retries, instance.run_monitoring_settings
