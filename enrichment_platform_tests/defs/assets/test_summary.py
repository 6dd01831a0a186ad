"""seniority_daily_summary in the real flow: S3 endpoint, Redis, the model server and a real PostgreSQL."""

from datetime import date

import dagster as dg
import orjson
import psycopg
import pytest
from psycopg import sql

from enrichment_platform.definitions import defs
from enrichment_platform.defs.assets.augmented import seniority_augmented_postings
from enrichment_platform.defs.assets.summary import seniority_daily_summary
from enrichment_platform.defs.assets.warehouse import postings_warehouse
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.seniority.scale import LEVELS
from enrichment_platform_tests.support.harness import CHECKS, FLOW, materialization_metadata

pytestmark = pytest.mark.integration

DAY = "2024-07-17"
T0 = 1721174400
RAW = "job-postings-raw"
NAME_A, NAME_B = f"{T0 + 10}.jsonl", f"{T0 + 70}.jsonl"


def posting(company: str, title: str, n: int) -> bytes:
    return orjson.dumps({"url": f"https://x.example/job/{n}/", "company": company, "title": title})


FILE_A = b"\n".join(
    [
        posting("Acme Corp", "Senior Data Engineer", 1),
        posting("ACME  CORP", "senior data engineer", 2),
        posting("Globex", "Accounting Intern", 3),
        b'{"company": "Acme", "title": ',
    ]
)
FILE_B = b"\n".join([posting("Initech", "Head of Legal", 4), posting("Acme Corp", "CEO", 5)])


@pytest.fixture
def warehouse(platform_env, warehouse_schema):
    """The test's warehouse: the session database's URL and the test's own schema."""
    return warehouse_schema


def run_to_summary(instance):
    """The sensor's job for DAY: the flow, the warehouse, the summary and every check."""
    assets = [*FLOW, postings_warehouse]
    run_config = {"ops": {asset.op.name: {"config": {"full_refresh": False}} for asset in assets}}
    return dg.materialize(
        [*assets, seniority_daily_summary, *CHECKS],
        partition_key=DAY,
        resources=default_resources(),
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def select(warehouse, statement: str, *params) -> list[dict]:
    url, schema = warehouse
    with psycopg.connect(url) as connection:
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        return connection.cursor(row_factory=psycopg.rows.dict_row).execute(statement, params).fetchall()


def test_the_days_row_counts_the_warehouse_rows_and_the_augmentations_requests(bucket, instance, warehouse):
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)

    result = run_to_summary(instance)

    assert result.success
    (row,) = select(warehouse, "SELECT * FROM seniority_daily")
    levels = select(
        warehouse,
        "SELECT seniority, count(*) AS postings FROM job_postings WHERE posting_date = %s GROUP BY 1",
        date.fromisoformat(DAY),
    )
    assert row["posting_date"] == date.fromisoformat(DAY)
    assert row["postings"] == sum(level["postings"] for level in levels) == 5
    for level in levels:
        assert row[f"level_{level['seniority']}_postings"] == level["postings"]
    assert row["distinct_companies"] == 4  # as spelled: "Acme Corp" and "ACME  CORP" differ
    augmented = materialization_metadata(result, seniority_augmented_postings)
    assert (row["model_requests"], row["cache_hit_rate"]) == (
        augmented["model_requests"],
        augmented["cache_hit_rate"],
    )
    metadata = materialization_metadata(result, seniority_daily_summary)
    assert (metadata["postings"], metadata["distinct_companies"]) == (5, 4)
    assert [metadata[f"share_level_{level}"] for level in LEVELS] == [
        row[f"level_{level}_share"] for level in LEVELS
    ]
    assert metadata["model_requests"] == row["model_requests"] > 0
    assert "| 7 | Senior Executive |" in metadata["seniority_mix"]


def test_a_rerun_gives_the_same_row_although_it_processed_no_file(bucket, instance, warehouse):
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)
    assert run_to_summary(instance).success
    first = select(warehouse, "SELECT * FROM seniority_daily")

    rerun = run_to_summary(instance)

    assert rerun.success
    assert materialization_metadata(rerun, seniority_augmented_postings)["files_processed"] == 0
    assert select(warehouse, "SELECT * FROM seniority_daily") == first
    shares = select(warehouse, "SELECT seniority, share FROM daily_seniority_shares ORDER BY seniority")
    assert [share["share"] for share in shares] == [first[0][f"level_{level}_share"] for level in LEVELS]


def test_the_sensors_job_refreshes_the_summary():
    job = defs.resolve_job_def("enrich_postings_job")
    assert seniority_daily_summary.key in job.asset_layer.selected_asset_keys
