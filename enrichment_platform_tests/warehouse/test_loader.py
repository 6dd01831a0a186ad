"""Loading files into a real PostgreSQL: rows per line, replacement, the values jsonb refuses, failures."""

import hashlib
from datetime import date

import orjson
import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import set_json_loads

from enrichment_platform.postings.parse import parse_postings, quarantine_jsonl
from enrichment_platform.warehouse.connection import WarehouseSchemaError, WarehouseUnavailableError
from enrichment_platform.warehouse.loader import Warehouse
from enrichment_platform.warehouse.rows import FileRowsMismatchError

pytestmark = pytest.mark.integration

DAY = date(2024, 7, 17)


def posting(n: int, title: str = "Data Engineer", **extra) -> bytes:
    return orjson.dumps({"url": f"https://x.example/{n}", "company": f"Co {n % 3}", "title": title, **extra})


def exported(raw: bytes, levels: list[int] | None = None) -> tuple[bytes, bytes]:
    """The output and quarantine objects the flow writes for `raw` (levels 1, 2, ... unless given)."""
    parsed = parse_postings(raw)
    levels = levels or [1 + i % 7 for i in range(parsed.valid)]
    output = b"".join(
        line[:-1] + b',"seniority":%d}\n' % level for line, level in zip(parsed.valid_lines, levels)
    )
    return output, quarantine_jsonl(parsed.quarantine)


@pytest.fixture
def warehouse(warehouse_schema):
    url, schema = warehouse_schema
    warehouse = Warehouse(url, schema)
    warehouse.prepare(DAY)
    yield warehouse
    warehouse.close()


def load(warehouse: Warehouse, name: str, raw: bytes, model_version: str = "sm-1") -> dict:
    output, quarantine = exported(raw)
    return warehouse.load_file(DAY, name, model_version, raw, output, quarantine or None)


def rows(warehouse: Warehouse, table: str = "job_postings") -> list[tuple]:
    with psycopg.connect(warehouse.url) as connection:
        set_json_loads(orjson.loads, connection)  # the standard library's parser stops short of deep nesting
        query = sql.SQL("SELECT * FROM {} ORDER BY posting_date, source_file, line_number")
        return connection.execute(query.format(sql.Identifier(warehouse.schema, table))).fetchall()


def test_one_row_per_output_line_with_the_outputs_values_and_the_input_lines_hash(warehouse):
    lines = [posting(1), b"", posting(2, "Head of Legal"), b'{"title": 3}', posting(3, "CEO", seniority="x")]
    raw = b"\n".join(lines) + b"\n"
    output, _ = exported(raw)

    facts = load(warehouse, "1721174410.jsonl", raw)

    assert facts == {"rows": 3, "quarantine_rows": 1, "altered_rows": 0, "altered_quarantine_rows": 0}
    loaded = rows(warehouse)
    assert [row[2] for row in loaded] == [1, 3, 5]
    for row, line, out in zip(loaded, [lines[0], lines[2], lines[4]], output.splitlines()):
        record = orjson.loads(out)
        (
            posting_date,
            source_file,
            _,
            company,
            title,
            seniority,
            model_version,
            sha,
            value,
            altered,
            original,
        ) = row
        assert (posting_date, source_file, model_version) == (DAY, "1721174410.jsonl", "sm-1")
        assert (company, title, seniority) == (record["company"], record["title"], record["seniority"])
        assert value == record and (altered, original) == (False, None)
        assert bytes(sha) == hashlib.sha256(line).digest()
    assert rows(warehouse, "quarantined_lines") == [
        (DAY, "1721174410.jsonl", 4, "field 'title' is not a string (got number)", '{"title": 3}', False)
    ]


def test_reloading_gives_identical_rows_and_a_replaced_file_replaces_its_rows(warehouse):
    load(warehouse, "1.jsonl", b"\n".join(posting(n) for n in range(5)) + b"\nbad\n")
    load(warehouse, "2.jsonl", posting(9))
    first = rows(warehouse), rows(warehouse, "quarantined_lines")

    load(warehouse, "1.jsonl", b"\n".join(posting(n) for n in range(5)) + b"\nbad\n")
    assert (rows(warehouse), rows(warehouse, "quarantined_lines")) == first

    load(warehouse, "1.jsonl", posting(7, "Director of Sales") + b"\n")
    assert [(row[1], row[2], row[4]) for row in rows(warehouse)] == [
        ("1.jsonl", 1, "Director of Sales"),
        ("2.jsonl", 1, "Data Engineer"),
    ]
    assert rows(warehouse, "quarantined_lines") == []
    assert warehouse.row_counts(DAY) == {"1.jsonl": (1, 0), "2.jsonl": (1, 0)}


def test_nul_large_and_deep_lines_each_get_their_row_as_documented(warehouse):
    nul = rb'{"url":"u","company":"Ac\u0000me","title":"Clerk\u0000","note":"\\u0000"}'
    large = posting(1, note="x" * 1_000_000)
    deep = b'{"company":"c","title":"deep","d":' + b"[" * 1000 + b"]" * 1000 + b"}"
    too_deep = b'{"company":"c","title":"deeper","d":' + b"[" * 2000 + b"]" * 2000 + b"}"
    out_of_range = b'{"company":"c","title":"tiny","n":1e-20000}'
    raw = b"\n".join([nul, large, deep, too_deep, out_of_range, b"bad \x00 line"]) + b"\n"

    facts = load(warehouse, "1.jsonl", raw)

    assert facts == {"rows": 4, "quarantine_rows": 2, "altered_rows": 2, "altered_quarantine_rows": 1}
    by_line = {row[2]: row for row in rows(warehouse)}
    nul_row = by_line[1]
    assert (nul_row[3], nul_row[4]) == ("Ac\ufffdme", "Clerk\ufffd")
    assert nul_row[8]["note"] == "\\u0000"  # an escaped backslash, not a NUL: kept
    assert (nul_row[9], nul_row[10]) == (True, nul[:-1].decode() + ',"seniority":1}')
    assert bytes(nul_row[7]) == hashlib.sha256(nul).digest()
    assert len(by_line[2][8]["note"]) == 1_000_000 and by_line[2][9] is False
    assert by_line[3][4] == "deep" and by_line[3][9] is False
    assert (by_line[5][8]["n"], by_line[5][9], by_line[5][10]) == (
        0,
        True,
        out_of_range[:-1].decode() + ',"seniority":4}',
    )
    quarantined = rows(warehouse, "quarantined_lines")
    assert [(row[2], row[3].split(":")[0], row[5]) for row in quarantined] == [
        (4, "invalid JSON", False),
        (6, "invalid JSON", True),
    ]
    assert quarantined[1][4] == "bad \ufffd line"


def test_names_and_lines_with_tabs_backslashes_and_non_ascii_load_unchanged(warehouse):
    name, model_version = "50%\\ \t été.jsonl", "sm-\u00e9\t2"
    line = b'{"company":\t"C\\\\o \\"x\\"","title":"T\\tl \xc3\xa9","n":[1,\r2]}'

    load(warehouse, name, line + b"\n", model_version)

    ((_, source_file, number, company, title, _, version, sha, value, altered, original),) = rows(warehouse)
    assert (source_file, number, version, altered, original) == (name, 1, model_version, False, None)
    assert (company, title) == ('C\\o "x"', "T\tl é") == (value["company"], value["title"])
    assert bytes(sha) == hashlib.sha256(line).digest()


def indexes(warehouse: Warehouse) -> list[str]:
    with psycopg.connect(warehouse.url) as connection:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename LIKE 'job_postings%%'"
        return sorted(name for (name,) in connection.execute(query, (warehouse.schema,)))


def test_each_day_is_a_partition_whose_indexes_are_built_once_its_rows_are_in(warehouse):
    warehouse.prepare(date(2024, 7, 18))
    warehouse.prepare(date(2024, 7, 18))  # again: nothing to do
    with psycopg.connect(warehouse.url) as connection:
        partitions = connection.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE n.nspname = %s AND p.relkind = 'p' ORDER BY 1",
            (warehouse.schema,),
        ).fetchall()
    assert [name for (name,) in partitions] == [
        "job_postings_20240717",
        "job_postings_20240718",
        "quarantined_lines_20240717",
        "quarantined_lines_20240718",
    ]
    primary_keys = ["job_postings_20240717_pkey", "job_postings_20240718_pkey", "job_postings_pkey"]
    assert indexes(warehouse) == primary_keys  # empty days: their rows come first

    load(warehouse, "1.jsonl", posting(1) + b"\n")
    warehouse.finish(DAY)

    day_indexes = ["job_postings_20240717_company", "job_postings_20240717_seniority"]
    assert indexes(warehouse) == sorted(primary_keys + day_indexes)
    warehouse.prepare(DAY)  # a day with rows keeps its indexes while files load into it
    assert indexes(warehouse) == sorted(primary_keys + day_indexes)

    second_day = Warehouse(warehouse.url, warehouse.schema)
    second_day.prepare(date(2024, 7, 18))
    second_day.load_file(date(2024, 7, 18), "2.jsonl", "sm-1", b"", b"", None)
    second_day.finish(date(2024, 7, 18))  # a day without rows gets its indexes too
    second_day.close()
    assert len(indexes(warehouse)) == 7


def test_the_indexes_of_an_earlier_version_move_to_each_day(warehouse):
    load(warehouse, "1.jsonl", posting(1) + b"\n")
    with psycopg.connect(warehouse.url, autocommit=True) as connection:
        table = sql.Identifier(warehouse.schema, "job_postings")
        connection.execute(
            sql.SQL("CREATE INDEX job_postings_date_company ON {} (posting_date, company)").format(table)
        )
        connection.execute(sql.SQL("CREATE INDEX job_postings_seniority ON {} (seniority)").format(table))

    again = Warehouse(warehouse.url, warehouse.schema)
    again.prepare(DAY)
    again.close()

    assert indexes(warehouse) == [
        "job_postings_20240717_company",
        "job_postings_20240717_pkey",
        "job_postings_20240717_seniority",
        "job_postings_pkey",
    ]


def test_a_table_whose_columns_differ_is_named_with_the_column(warehouse_schema):
    url, schema = warehouse_schema
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        connection.execute(
            sql.SQL("CREATE TABLE {} (posting_date date, source_file text, line_number bigint)").format(
                sql.Identifier(schema, "quarantined_lines")
            )
        )
    with pytest.raises(WarehouseSchemaError) as raised:
        Warehouse(url, schema).prepare(DAY)
    message = str(raised.value)
    assert f"table {schema}.quarantined_lines" in message
    assert "column line_number is bigint, expected integer" in message
    assert "column error is missing" in message


def test_an_unreachable_database_is_named_without_its_password():
    warehouse = Warehouse("postgresql://loader:s3cret@127.0.0.1:1/enrichment", "enrichment")
    with pytest.raises(WarehouseUnavailableError) as raised:
        warehouse.prepare(DAY)
    message = str(raised.value)
    assert "postgresql://loader:***@127.0.0.1:1/enrichment" in message
    assert "s3cret" not in message


def pieces_of(data: bytes, size: int):
    """An opener of `data` read `size` bytes at a time."""
    return lambda: (data[start : start + size] for start in range(0, len(data), size))


def test_a_file_loaded_a_chunk_at_a_time_gets_the_rows_of_a_whole_load(warehouse, monkeypatch):
    lines = [b"\xef\xbb\xbf" + posting(0)]
    for n in range(1, 60):
        lines.append(posting(n, "Head of Legal" if n % 4 else "CEO") + (b"\r" if n % 9 == 0 else b""))
        if n % 7 == 0:
            lines.append(b"" if n % 2 else b"not json")
        if n % 13 == 0:
            lines.append(rb'{"company":"c","title":"tiny","n":1e-20000}')  # refused by jsonb as it is
    raw = b"\n".join(lines)  # no final newline
    output, quarantine = exported(raw)
    whole = load(warehouse, "whole.jsonl", raw)
    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", "100")  # a few lines a chunk

    facts = warehouse.load_pieces(
        DAY, "chunked.jsonl", "sm-1", pieces_of(raw, 37), pieces_of(output, 41), pieces_of(quarantine, 5)
    )

    assert facts == whole and facts["altered_rows"] == 4 and facts["quarantine_rows"] == 4
    by_file = {}
    for table in ("job_postings", "quarantined_lines"):
        for row in rows(warehouse, table):
            by_file.setdefault((table, row[1]), []).append(row[2:])
    assert by_file[("job_postings", "chunked.jsonl")] == by_file[("job_postings", "whole.jsonl")]
    assert by_file[("quarantined_lines", "chunked.jsonl")] == by_file[("quarantined_lines", "whole.jsonl")]


def test_output_lines_that_do_not_match_the_raw_file_by_chunks_fail_the_file_and_leave_no_rows(
    warehouse, monkeypatch
):
    raw = b"\n".join(posting(n) for n in range(20)) + b"\n"
    output, _ = exported(raw)
    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", "100")

    for wrong in (
        output + output.splitlines(keepends=True)[0],
        b"".join(output.splitlines(keepends=True)[:-1]),
    ):
        with pytest.raises(FileRowsMismatchError, match="different versions"):
            warehouse.load_pieces(DAY, "1.jsonl", "sm-1", pieces_of(raw, 64), pieces_of(wrong, 64), None)
    assert rows(warehouse) == []
