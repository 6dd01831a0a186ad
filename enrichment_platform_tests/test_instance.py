"""Dagster instance storage on a real PostgreSQL (dagster-postgres)."""

import dagster as dg
import pytest

from enrichment_platform_tests.harness import run_flow

pytestmark = pytest.mark.integration


def test_run_with_postgres_instance_storage(bucket, postgres_url):
    bucket.put("job-postings-raw", "1721174401.jsonl", b'{"company": "Acme", "title": "Head of Legal"}\n')
    storage = {"storage": {"postgres": {"postgres_url": postgres_url.url}}}
    with dg.instance_for_test(overrides=storage) as instance:
        result = run_flow(instance, "2024-07-17")
        assert result.success
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        record = instance.get_latest_materialization_event(dg.AssetKey("exported_job_postings"))
        assert record.asset_materialization.partition == "2024-07-17"
