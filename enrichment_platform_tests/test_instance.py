"""Dagster instances: the local dagster.yaml and the PostgreSQL deployment in resources/deploy/ on a real
PostgreSQL (dagster-postgres), their run queue and the model pool."""

import os
import shutil
import subprocess
from datetime import UTC, datetime

import dagster as dg
import orjson
import pytest

from enrichment_platform.defs.assets.augmented import ASSET_NAME, MODEL_POOL
from enrichment_platform.devstack.dagster_stack import materialize_command
from enrichment_platform_tests.support.harness import (
    DEPLOY,
    REPO,
    instance_from_file,
    operating_settings,
    run_flow,
)
from enrichment_platform_tests.support.scripted_model import ScriptedModel

pytestmark = pytest.mark.integration

JUL17 = 1721174400


def test_run_with_postgres_instance_storage(bucket, postgres_url):
    bucket.put("job-postings-raw", "1721174401.jsonl", b'{"company": "Acme", "title": "Head of Legal"}\n')
    storage = {"storage": {"postgres": {"postgres_url": postgres_url.url}}}
    with dg.instance_for_test(overrides=storage) as instance:
        result = run_flow(instance, "2024-07-17")
        assert result.success
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        record = instance.get_latest_materialization_event(dg.AssetKey("exported_job_postings"))
        assert record.asset_materialization.partition == "2024-07-17"


def test_postgres_deployment_config_runs_the_flow_with_credentials_from_the_environment(
    bucket, pg_env, tmp_path
):
    bucket.put("job-postings-raw", f"{JUL17 + 1}.jsonl", b'{"company": "Acme", "title": "Head of Legal"}\n')
    with instance_from_file(DEPLOY / "dagster.postgres.yaml", tmp_path / "home") as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"

        assert run_flow(instance, "2024-07-17").success

        # The augmentation step claimed a slot of the model pool, created with the instance's default limit.
        pools = {pool.name: pool.limit for pool in instance.event_log_storage.get_pool_limits()}
        assert pools[MODEL_POOL] == 2


def test_deployment_configs_share_the_local_run_queue_pool_retries_and_monitoring(pg_env, tmp_path):
    with instance_from_file(REPO / "dagster.yaml", tmp_path / "local") as local:
        expected = operating_settings(local)
    queue, pools = expected[0].run_queue_config, expected[0].pool_config
    assert queue.max_concurrent_runs == 4
    assert {limit["key"]: limit["limit"] for limit in queue.tag_concurrency_limits} == {
        "dagster/partition": 1,
        "dagster/backfill": 3,
    }
    assert (pools.default_pool_limit, pools.pool_granularity.value) == (2, "op")
    assert expected[2]["free_slots_after_run_end_seconds"] == 60

    with instance_from_file(DEPLOY / "dagster.postgres.yaml", tmp_path / "postgres") as deployed:
        assert operating_settings(deployed) == expected


@pytest.mark.slow
def test_model_pool_admits_its_limit_of_augmentation_steps_at_once(bucket, serve, pg_env, tmp_path):
    """Three partition runs start together; the augmentation steps, slowed by the model, run two at a time."""
    target = serve(ScriptedModel(delay=3.0))
    days = {"2024-07-15": JUL17 - 2 * 86_400, "2024-07-16": JUL17 - 86_400, "2024-07-17": JUL17}
    for index, midnight in enumerate(days.values()):
        line = orjson.dumps({"company": f"Pool {index}", "title": "Engineer"})
        bucket.put("job-postings-raw", f"{midnight + 60}.jsonl", line + b"\n")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(DEPLOY / "dagster.postgres.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SENIORITY_MODEL_TARGET": target,
        "SENIORITY_MODEL_VERSION": f"pool-{tmp_path.name}",
    }
    started = datetime.now(UTC)
    runs = [
        subprocess.Popen(
            materialize_command(day),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for day in days
    ]
    outputs = [run.communicate(timeout=300)[0].decode(errors="replace") for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], "\n".join(output[-2000:] for output in outputs)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        spans, blocked = [], 0
        for run in instance.get_runs(dg.RunsFilter(created_after=started)):  # the database is the session's
            events = [
                event
                for event in instance.all_logs(run.run_id)
                if event.is_dagster_event and event.dagster_event.step_key == ASSET_NAME
            ]
            times = {event.dagster_event_type: event.timestamp for event in events}
            spans.append((times[dg.DagsterEventType.STEP_START], times[dg.DagsterEventType.STEP_SUCCESS]))
            blocked += any(
                event.message == f"Step blocked by limit for pool {MODEL_POOL}" for event in events
            )
    assert len(spans) == 3
    assert max_overlap(spans) <= 2
    assert blocked >= 1  # the third step waited for a slot


def max_overlap(spans: list[tuple[float, float]]) -> int:
    """The most spans (start, end) open at one instant."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    open_now, most = 0, 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most
