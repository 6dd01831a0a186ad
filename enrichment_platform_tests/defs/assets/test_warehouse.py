"""postings_warehouse in the real flow: S3 endpoint, Redis, the model server and a real PostgreSQL."""

import hashlib
from datetime import date

import dagster as dg
import orjson
import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import set_json_loads

from enrichment_platform.defs.assets.augmented import seniority_augmented_postings
from enrichment_platform.defs.assets.warehouse import postings_warehouse
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.postings.parse import split_lines
from enrichment_platform_tests.support.harness import (
    CHECKS,
    FLOW,
    failure_messages,
    materialization_metadata,
    retried,
    run_flow,
)

pytestmark = pytest.mark.integration

DAY = "2024-07-17"
T0 = 1721174400
RAW, OUT = "job-postings-raw", "job-postings-mod"
NAME_A, NAME_B, NAME_C = f"{T0 + 10}.jsonl", f"{T0 + 70}.jsonl", f"{T0 + 130}.jsonl"


def posting(company: str, title: str, n: int, **extra) -> bytes:
    return orjson.dumps({"url": f"https://x.example/job/{n}/", "company": company, "title": title, **extra})


FILE_A = b"\n".join(
    [
        posting("Acme Corp", "Senior Data Engineer", 1),
        b"",
        posting("ACME  CORP", "senior data engineer", 2),
        b'{"company": "Acme", "title": ',
        posting("Globex", "Accounting Intern", 3),
        b'{"company": "Acme", "title": "   "}',
    ]
)
FILE_B = posting("Initech", "Head of Legal", 4) + b"\r\n" + posting("Initech", "CEO", 5) + b"\r\n"


@pytest.fixture
def warehouse(platform_env, warehouse_schema):
    """The test's warehouse: the session database's URL and the test's own schema."""
    return warehouse_schema


def run_with_warehouse(instance, full_refresh: bool = False):
    """The sensor's job for DAY: the flow, the warehouse and every check."""
    return run_flow(instance, DAY, full_refresh, warehouse=True)


def table(warehouse, name: str) -> list[dict]:
    url, schema = warehouse
    with psycopg.connect(url) as connection:
        set_json_loads(orjson.loads, connection)
        cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
        query = sql.SQL("SELECT * FROM {} ORDER BY source_file, line_number")
        return cursor.execute(query.format(sql.Identifier(schema, name))).fetchall()


def delete_second_row(warehouse, name: str) -> None:
    """Remove a file's second posting from job_postings behind the loader's back."""
    url, schema = warehouse
    with psycopg.connect(url, autocommit=True) as connection:
        delete = sql.SQL("DELETE FROM {} WHERE source_file = %s AND line_number = 2")
        connection.execute(delete.format(sql.Identifier(schema, "job_postings")), (name,))


def check_result(result) -> dg.AssetCheckEvaluation:
    (evaluation,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "warehouse_rows_match_files"
    ]
    return evaluation


def test_rows_match_each_files_output_and_quarantine_line_for_line(bucket, instance, warehouse):
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)

    result = run_with_warehouse(instance)

    assert result.success
    assert check_result(result).passed
    postings, quarantined = table(warehouse, "job_postings"), table(warehouse, "quarantined_lines")
    model_version = materialization_metadata(result, seniority_augmented_postings)["model_version"]
    for name, raw in [(NAME_A, FILE_A), (NAME_B, FILE_B)]:
        rows = [row for row in postings if row["source_file"] == name]
        output = bucket.get(OUT, name).splitlines()
        assert len(rows) == len(output)
        input_lines = split_lines(raw)
        for row, line in zip(rows, output):
            record = orjson.loads(line)
            assert (row["company"], row["title"], row["seniority"]) == (
                record["company"],
                record["title"],
                record["seniority"],
            )
            assert row["posting"] == record and row["posting_altered"] is False
            assert row["content_sha256"] == hashlib.sha256(input_lines[row["line_number"] - 1]).digest()
            assert (row["posting_date"], row["model_version"]) == (date(2024, 7, 17), model_version)
    assert [row["line_number"] for row in postings] == [1, 3, 5, 1, 2]
    assert [(row["source_file"], row["line_number"]) for row in quarantined] == [(NAME_A, 4), (NAME_A, 6)]
    metadata = materialization_metadata(result, postings_warehouse)
    assert (metadata["files_processed"], metadata["rows"], metadata["quarantine_rows"]) == (2, 5, 2)
    assert metadata["rows_per_second"] > 0


def test_rerun_and_full_refresh_give_identical_rows(bucket, instance, warehouse):
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)
    assert run_with_warehouse(instance).success
    first = table(warehouse, "job_postings"), table(warehouse, "quarantined_lines")

    rerun = run_with_warehouse(instance)
    assert materialization_metadata(rerun, postings_warehouse)["files_processed"] == 0
    assert (table(warehouse, "job_postings"), table(warehouse, "quarantined_lines")) == first

    refresh = run_with_warehouse(instance, full_refresh=True)
    assert materialization_metadata(refresh, postings_warehouse)["files_processed"] == 2
    assert (table(warehouse, "job_postings"), table(warehouse, "quarantined_lines")) == first
    assert check_result(refresh).passed


def test_a_run_without_the_exports_loads_them_from_s3_and_no_run_leaves_its_stage_behind(
    bucket, instance, warehouse, tmp_path, monkeypatch
):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)
    assets = [*FLOW, postings_warehouse]
    flow_only = dg.materialize(
        [*FLOW, *CHECKS], partition_key=DAY, resources=default_resources(), instance=instance
    )
    assert flow_only.success
    assert not list(tmp_path.rglob("*.jsonl.*"))  # the flow's last step removed its stage
    later = dg.materialize(
        assets,
        selection=[postings_warehouse],
        partition_key=DAY,
        resources=default_resources(),
        instance=instance,
    )
    assert materialization_metadata(later, postings_warehouse)["files_processed"] == 2
    from_s3 = table(warehouse, "job_postings"), table(warehouse, "quarantined_lines")

    together = run_with_warehouse(instance, full_refresh=True)  # the warehouse reads what its run staged

    assert materialization_metadata(together, postings_warehouse)["files_processed"] == 2
    assert (table(warehouse, "job_postings"), table(warehouse, "quarantined_lines")) == from_s3
    assert len(from_s3[0]) == 5 and len(from_s3[1]) == 2
    assert not list(tmp_path.rglob("*.jsonl.*"))


def test_a_new_file_adds_only_its_rows_and_a_replaced_file_replaces_its_rows(bucket, instance, warehouse):
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)
    assert run_with_warehouse(instance).success
    before = table(warehouse, "job_postings")

    bucket.put(RAW, NAME_C, posting("Hooli", "VP Engineering", 6))
    added = run_with_warehouse(instance)
    assert materialization_metadata(added, postings_warehouse)["files_processed"] == 1
    after = table(warehouse, "job_postings")
    assert [row for row in after if row["source_file"] != NAME_C] == before
    assert [row["title"] for row in after if row["source_file"] == NAME_C] == ["VP Engineering"]

    bucket.put(RAW, NAME_A, posting("Acme Corp", "Paralegal", 7) + b"\n")
    replaced = run_with_warehouse(instance)
    assert replaced.success and check_result(replaced).passed
    rows_a = [row for row in table(warehouse, "job_postings") if row["source_file"] == NAME_A]
    assert [(row["line_number"], row["title"]) for row in rows_a] == [(1, "Paralegal")]
    assert table(warehouse, "quarantined_lines") == []


def test_nul_large_and_deeply_nested_postings_each_get_their_row(bucket, instance, warehouse):
    nul = rb'{"company":"Acme","title":"Clerk\u0000 II","url":"u"}'
    large = posting("Acme", "Archivist", 8, notes="x" * 1_000_000)
    deep = b'{"company":"Acme","title":"Deep","nested":' + b"[" * 1000 + b"]" * 1000 + b"}"
    bucket.put(RAW, NAME_A, b"\n".join([nul, large, deep]))

    result = run_with_warehouse(instance)

    assert result.success and check_result(result).passed
    rows = table(warehouse, "job_postings")
    assert [row["line_number"] for row in rows] == [1, 2, 3]
    output = bucket.get(OUT, NAME_A).splitlines()
    assert (rows[0]["title"], rows[0]["posting_altered"]) == ("Clerk\ufffd II", True)
    assert rows[0]["original_line"].encode() == output[0]  # the exact output line, NUL escape included
    assert rows[0]["content_sha256"] == hashlib.sha256(nul).digest()
    assert rows[1]["posting"] == orjson.loads(output[1]) and rows[1]["posting_altered"] is False
    assert (rows[2]["title"], rows[2]["posting_altered"], rows[2]["seniority"]) == (
        "Deep",
        False,
        orjson.loads(output[2])["seniority"],
    )
    nested, depth = rows[2]["posting"]["nested"], 1
    while nested:  # walked, not compared: equality of 1,000 nested lists exceeds Python's recursion limit
        (nested,), depth = nested, depth + 1
    assert depth == 1000
    assert materialization_metadata(result, postings_warehouse)["altered_rows"] == 1


def test_rows_missing_from_the_warehouse_fail_the_check_naming_the_file(bucket, instance, warehouse):
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)
    assert run_with_warehouse(instance).success
    delete_second_row(warehouse, NAME_B)

    evaluation = check_result(run_with_warehouse(instance))

    assert not evaluation.passed
    problems = evaluation.metadata["problems"].value
    assert f"{NAME_B}: 1 rows for 2 exported lines" in problems and NAME_A not in problems


def test_a_run_checks_the_rows_of_the_files_it_loaded_and_a_run_loading_none_the_whole_day(
    bucket, instance, warehouse
):
    bucket.put(RAW, NAME_A, FILE_A)
    bucket.put(RAW, NAME_B, FILE_B)
    assert run_with_warehouse(instance).success
    delete_second_row(warehouse, NAME_B)

    bucket.put(RAW, NAME_C, posting("Hooli", "VP Engineering", 6))
    one_new = check_result(run_with_warehouse(instance))
    nothing_new = check_result(run_with_warehouse(instance))

    assert one_new.passed and one_new.metadata["files_checked"].value == 1
    assert not nothing_new.passed and nothing_new.metadata["files_checked"].value == 3
    assert NAME_B in nothing_new.metadata["problems"].value


def test_an_unreachable_database_fails_the_step_naming_it(bucket, instance, warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://analyst:s3cret@127.0.0.1:1/enrichment")
    bucket.put(RAW, NAME_A, FILE_A)

    result = run_with_warehouse(instance)

    assert not result.success
    assert retried(result)  # an infrastructure error: Dagster retries the step
    messages = failure_messages(result)
    assert "WarehouseUnavailableError" in messages
    assert "postgresql://analyst:***@127.0.0.1:1/enrichment" in messages and "s3cret" not in messages
    assert bucket.get(OUT, NAME_A)  # the steps before the warehouse did their work
