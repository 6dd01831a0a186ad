"""The `defs` object loads as Dagster loads it: every asset, asset check, sensor and job resolves, the flow's
names are there, and every resource the flow requires is provided."""

import os
import subprocess
import sys

import dagster as dg

from enrichment_platform.definitions import defs

FLOW_ASSETS = {
    "raw_job_postings",
    "seniority_augmented_postings",
    "exported_job_postings",
    "postings_warehouse",
    "seniority_daily_summary",
}
REQUEST_ASSETS = {"request_raw_postings", "request_augmented_postings", "request_exported_postings"}
EXTERNAL_ASSETS = {"scraped_job_postings", "seniority_model", "pushed_request_parts"}
RAW_SENSOR = "raw_postings_sensor"
REQUEST_SENSOR = "pushed_requests_sensor"
# Variables the platform reads; the definitions must load without any of them.
PLATFORM_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "RAW_POSTINGS_URI",
    "AUGMENTED_POSTINGS_URI",
    "QUARANTINE_URI",
    "STAGING_URI",
    "REDIS_URL",
    "SENIORITY_MODEL_TARGET",
    "SENIORITY_MODEL_CAPACITY",
    "PARTITIONS_START_DATE",
    "DAGSTER_HOME",
)


def test_definitions_pass_dagsters_own_load_validation():
    dg.Definitions.validate_loadable(defs)
    assert defs.get_repository_def().name == "__repository__"


def test_the_flows_assets_and_sensor_are_defined():
    asset_keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    sensor_names = {sensor.name for sensor in defs.get_repository_def().sensor_defs}
    assert FLOW_ASSETS <= asset_keys
    assert RAW_SENSOR in sensor_names


def test_every_asset_check_sensor_and_job_resolves():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert key in defs.resolve_assets_def(key).keys
    assert graph.asset_check_keys  # the contract and quality checks
    for check_key in graph.asset_check_keys:
        assert check_key in defs.get_asset_checks_def(check_key).check_keys
    repository = defs.get_repository_def()
    for sensor in repository.sensor_defs:
        assert defs.resolve_sensor_def(sensor.name).name == sensor.name
    job_names = {job.name for job in defs.resolve_all_job_defs()}
    assert "enrich_postings_job" in job_names
    for name in job_names:
        assert defs.resolve_job_def(name).name == name


def test_the_sensor_targets_the_job_of_the_whole_flow():
    sensor = defs.resolve_sensor_def(RAW_SENSOR)
    job = defs.resolve_job_def(sensor.job_name)
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert selected == FLOW_ASSETS
    assert job.partitions_def is not None


def test_the_request_sensor_targets_the_job_of_a_requests_assets_partitioned_by_erid():
    job = defs.resolve_job_def(defs.resolve_sensor_def(REQUEST_SENSOR).job_name)
    assert {key.to_user_string() for key in job.asset_layer.selected_asset_keys} == REQUEST_ASSETS
    assert isinstance(job.partitions_def, dg.DynamicPartitionsDefinition)


def test_every_resource_the_assets_checks_and_sensors_require_is_provided():
    graph = defs.resolve_asset_graph()
    provided = set(defs.resolve_implicit_global_asset_job_def().resource_defs)
    required = {
        (assets.node_def.name, resource)
        for assets in graph.assets_defs
        if assets.is_executable
        for resource in assets.required_resource_keys
    }
    required |= {
        (sensor.name, resource)
        for sensor in defs.get_repository_def().sensor_defs
        for resource in sensor.required_resource_keys
    }
    assert {"storage", "cache", "model", "raw_postings_queue"} <= {resource for _, resource in required}
    assert sorted((user, resource) for user, resource in required if resource not in provided) == []


def test_definitions_load_in_a_fresh_process_from_another_directory_without_platform_variables(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in PLATFORM_VARIABLES}
    script = (
        "from enrichment_platform.definitions import defs\n"
        "print(sorted(key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr[-4000:]
    assert loaded.stdout.strip() == repr(sorted(FLOW_ASSETS | REQUEST_ASSETS | EXTERNAL_ASSETS))
