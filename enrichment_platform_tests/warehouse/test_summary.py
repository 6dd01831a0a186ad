"""The daily seniority summary and the analysts' views on a real PostgreSQL, a schema of each test's own."""

from datetime import UTC, datetime, timedelta

import orjson
import pandas as pd
import psycopg
import pytest
from psycopg import sql

from enrichment_platform.seniority.scale import LEVELS
from enrichment_platform.warehouse.loader import Warehouse
from enrichment_platform.warehouse.summary import (
    AugmentationTotals,
    level_table_markdown,
    refresh_day_summary,
    summarize_day,
)
from enrichment_platform.warehouse.views import refresh_views

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
OLD_DAY = TODAY - timedelta(days=40)  # outside the views' 30 days
AUGMENTATION = AugmentationTotals(pairs_looked_up=8, cache_hits=6, model_requests=2)

# (company, seniority) of each posting: Acme has 2 of 4 postings at level 5 or above today.
TODAY_FILE_A = [("Acme Corp", 1), ("Acme Corp", 3), ("Acme Corp", 5), ("Globex", 2)]
TODAY_FILE_B = [("Acme Corp", 7), ("Initech", 4), ("Initech", 4)]
OLD_FILE = [("Acme Corp", 6), ("Acme Corp", 6), ("Acme Corp", 6)]


def exported_file(postings: list[tuple[str, int]]) -> tuple[bytes, bytes]:
    """(raw, output) of a file holding these postings, as the flow exports it."""
    raw_lines = [
        orjson.dumps({"url": f"https://x.example/{n}", "company": company, "title": f"Title {n}"})
        for n, (company, _) in enumerate(postings)
    ]
    output = b"".join(
        line[:-1] + b',"seniority":%d}\n' % level for line, (_, level) in zip(raw_lines, postings)
    )
    return b"\n".join(raw_lines) + b"\n", output


@pytest.fixture
def loaded(warehouse_schema):
    """The warehouse with two files of today and one of 40 days ago loaded: (url, schema)."""
    url, schema = warehouse_schema
    warehouse = Warehouse(url, schema)
    try:
        for day, name, postings in [
            (TODAY, "1.jsonl", TODAY_FILE_A),
            (TODAY, "2.jsonl", TODAY_FILE_B),
            (OLD_DAY, "3.jsonl", OLD_FILE),
        ]:
            warehouse.prepare(day)
            raw, output = exported_file(postings)
            warehouse.load_file(day, name, "sm-1", raw, output, None)
    finally:
        warehouse.close()
    return url, schema


def query(url: str, statement: str, schema: str, *params) -> list[dict]:
    with psycopg.connect(url) as connection:
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
        return cursor.execute(statement, params).fetchall()


def test_the_days_counts_equal_its_job_postings_rows(loaded):
    url, schema = loaded

    summary = refresh_day_summary(url, schema, TODAY, AUGMENTATION)

    (row,) = query(url, "SELECT * FROM seniority_daily", schema)
    per_level = query(
        url, "SELECT seniority, count(*) FROM job_postings WHERE posting_date = %s GROUP BY 1", schema, TODAY
    )
    counts = {item["seniority"]: item["count"] for item in per_level}
    assert row["posting_date"] == TODAY
    assert row["postings"] == sum(counts.values()) == len(TODAY_FILE_A) + len(TODAY_FILE_B)
    assert [row[f"level_{level}_postings"] for level in LEVELS] == [counts.get(level, 0) for level in LEVELS]
    assert row["level_4_share"] == pytest.approx(2 / 7) and row["level_6_share"] == 0.0
    assert sum(row[f"level_{level}_share"] for level in LEVELS) == pytest.approx(1.0)
    assert row["distinct_companies"] == 3
    assert (row["pairs_looked_up"], row["cache_hits"], row["model_requests"]) == (8, 6, 2)
    assert row["cache_hit_rate"] == 0.75
    assert {name: summary[name] for name in row} == row  # the asset reports the row it wrote


def test_summarizing_a_day_again_replaces_its_row(loaded):
    url, schema = loaded
    refresh_day_summary(url, schema, TODAY, AUGMENTATION)
    first = query(url, "SELECT * FROM seniority_daily", schema)

    refresh_day_summary(url, schema, TODAY, AUGMENTATION)
    assert query(url, "SELECT * FROM seniority_daily", schema) == first

    refresh_day_summary(url, schema, OLD_DAY, AugmentationTotals())
    rows = query(url, "SELECT * FROM seniority_daily ORDER BY posting_date", schema)
    assert [row["posting_date"] for row in rows] == [OLD_DAY, TODAY]
    assert rows[1] == first[0]
    assert (rows[0]["postings"], rows[0]["level_6_share"], rows[0]["cache_hit_rate"]) == (3, 1.0, 0.0)


def test_the_views_answer_which_share_of_a_companys_postings_are_level_5_or_above(loaded):
    url, schema = loaded
    refresh_day_summary(url, schema, TODAY, AUGMENTATION)
    refresh_day_summary(url, schema, OLD_DAY, AugmentationTotals())
    refresh_views(url, schema)

    (answer,) = query(
        url,
        "SELECT sum(share) AS share FROM seniority_mix_by_company_30d WHERE company = %s AND seniority >= 5",
        schema,
        "Acme Corp",
    )
    assert float(answer["share"]) == pytest.approx(2 / 4)  # the three level-6 postings are 40 days old
    mix = query(
        url,
        "SELECT seniority, level_name, postings, company_postings FROM seniority_mix_by_company_30d "
        "WHERE company = %s ORDER BY seniority",
        schema,
        "Acme Corp",
    )
    assert [(row["seniority"], row["level_name"], row["postings"]) for row in mix] == [
        (1, "Entry", 1),
        (3, "Associate", 1),
        (5, "Director", 1),
        (7, "Senior Executive", 1),
    ]
    assert {row["company_postings"] for row in mix} == {4}
    shares = query(
        url,
        "SELECT posting_date, seniority, postings, share FROM daily_seniority_shares ORDER BY 1, 2",
        schema,
    )
    assert len(shares) == 2 * len(LEVELS)
    today = [row for row in shares if row["posting_date"] == TODAY]
    assert [row["postings"] for row in today] == [1, 1, 1, 2, 1, 0, 1]
    assert [row["share"] for row in shares if row["posting_date"] == OLD_DAY][5] == 1.0


def test_views_can_be_created_before_any_load_and_read_empty(warehouse_schema):
    url, schema = warehouse_schema

    refresh_views(url, schema)
    refresh_views(url, schema)  # replacing them changes nothing

    assert query(url, "SELECT * FROM seniority_mix_by_company_30d", schema) == []
    assert query(url, "SELECT * FROM daily_seniority_shares", schema) == []


def test_an_empty_day_has_zero_shares_not_missing_ones():
    counts = pd.DataFrame({"company": [], "seniority": [], "postings": []})

    summary = summarize_day(counts, TODAY, AugmentationTotals())

    assert summary["postings"] == 0 and summary["distinct_companies"] == 0
    assert [summary[f"level_{level}_share"] for level in LEVELS] == [0.0] * len(LEVELS)
    assert "| 5 | Director | 0 | 0.0% |" in level_table_markdown(summary)


def test_cache_totals_come_from_every_file_of_the_augmentation_manifest():
    files = {
        "1.jsonl": {"distinct_pairs": 10, "cache_hits": 4, "model_requests": 6},
        "2.jsonl": {"distinct_pairs": 10, "cache_hits": 10, "model_requests": 0},
    }

    totals = AugmentationTotals.from_manifest_files(files)

    assert (totals.pairs_looked_up, totals.cache_hits, totals.model_requests) == (20, 14, 6)
    assert totals.cache_hit_rate == 0.7
