"""The warehouse tables: their DDL, the check that existing tables have the loader's columns, and the daily
range partitions created on demand."""

from datetime import date, timedelta

import psycopg
from psycopg import sql

from enrichment_platform.seniority.scale import MAX_LEVEL, MIN_LEVEL
from enrichment_platform.warehouse.connection import WarehouseSchemaError

POSTINGS_TABLE = "job_postings"
QUARANTINE_TABLE = "quarantined_lines"

# Column -> type as information_schema.columns.data_type spells it, in table order.
POSTINGS_COLUMNS = {
    "posting_date": "date",
    "source_file": "text",
    "line_number": "integer",
    "company": "text",
    "title": "text",
    "seniority": "smallint",
    "model_version": "text",
    "content_sha256": "bytea",
    "posting": "jsonb",
    "posting_altered": "boolean",
    "original_line": "text",
}
QUARANTINE_COLUMNS = {
    "posting_date": "date",
    "source_file": "text",
    "line_number": "integer",
    "error": "text",
    "raw": "text",
    "raw_altered": "boolean",
}
TABLE_COLUMNS = {POSTINGS_TABLE: POSTINGS_COLUMNS, QUARANTINE_TABLE: QUARANTINE_COLUMNS}

# company, title and seniority are computed by PostgreSQL from the posting as it is copied in: no per-row
# Python work, and they always agree with `posting`.
# The keys of the primary key and the company index compare bytes (COLLATE "C"), which sorts and indexes
# faster than a language's collation; equality is the same.
_POSTINGS_DDL = f"""
CREATE TABLE IF NOT EXISTS {{table}} (
    posting_date date NOT NULL,
    source_file text COLLATE "C" NOT NULL,
    line_number integer NOT NULL,
    company text COLLATE "C" GENERATED ALWAYS AS (posting ->> 'company') STORED,
    title text GENERATED ALWAYS AS (posting ->> 'title') STORED,
    seniority smallint GENERATED ALWAYS AS ((posting ->> 'seniority')::smallint) STORED
        CHECK (seniority BETWEEN {MIN_LEVEL} AND {MAX_LEVEL}),
    model_version text NOT NULL,
    content_sha256 bytea NOT NULL,
    posting jsonb NOT NULL,
    posting_altered boolean NOT NULL,
    original_line text,
    PRIMARY KEY (posting_date, source_file, line_number)
) PARTITION BY RANGE (posting_date)
"""
_QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    posting_date date NOT NULL,
    source_file text NOT NULL,
    line_number integer NOT NULL,
    error text NOT NULL,
    raw text NOT NULL,
    raw_altered boolean NOT NULL,
    PRIMARY KEY (posting_date, source_file, line_number)
) PARTITION BY RANGE (posting_date)
"""
# The analysts' questions: by company and by level. They index each day's partition (a query's dates prune it
# to their days, so the date is no index column), so that a day loaded into an empty partition builds them
# once, by one sort, after its rows are in, instead of inserting every row into them. The primary key serves
# the loads and the check.
DAY_INDEXES = {"company": "company", "seniority": "seniority"}  # name suffix -> column
# Earlier versions indexed the partitioned table itself; create_tables gives each day its own indexes instead.
_TABLE_INDEXES = ("job_postings_date_company", "job_postings_seniority")
# Serializes the DDL of concurrent runs (two dates, a rerun beside the sensor's): IF NOT EXISTS races. A day's
# indexes are built under a lock of that day's (the class and the day's ordinal), so other days go on.
_DDL_LOCK = 7_340_015
_DAY_INDEX_LOCK = 7_340_016


def _table(schema: str, table: str) -> sql.Composed:
    return sql.Identifier(schema, table)


def create_tables(connection: psycopg.Connection, schema: str) -> None:
    """Create the schema, both partitioned tables and their indexes where missing, then check that the
    tables have exactly the loader's columns; commits."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        postings = _table(schema, POSTINGS_TABLE)
        connection.execute(sql.SQL(_POSTINGS_DDL).format(table=postings))
        connection.execute(sql.SQL(_QUARANTINE_DDL).format(table=_table(schema, QUARANTINE_TABLE)))
        _move_table_indexes_to_days(connection, schema, postings)
    check_columns(connection, schema)


def _move_table_indexes_to_days(connection: psycopg.Connection, schema: str, postings: sql.Composed) -> None:
    """Tables of earlier versions index the partitioned table: give each of its days its own indexes, then
    drop the table's."""
    names = [sql.Identifier(schema, index).as_string(connection) for index in _TABLE_INDEXES]
    found = [name for name in names if connection.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0]]
    if not found:
        return
    days = connection.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        (postings.as_string(connection),),
    ).fetchall()
    for (partition,) in days:
        _create_partition_indexes(connection, schema, partition)
    for name in found:
        connection.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))


def _create_partition_indexes(connection: psycopg.Connection, schema: str, partition: str) -> None:
    for suffix, column in DAY_INDEXES.items():
        index = sql.Identifier(schema, f"{partition}_{suffix}")
        # Looked up first: CREATE INDEX IF NOT EXISTS would lock the partition against other runs' loads.
        if connection.execute("SELECT to_regclass(%s)", (index.as_string(connection),)).fetchone()[0]:
            continue
        connection.execute(
            sql.SQL("CREATE INDEX {} ON {} ({})").format(
                sql.Identifier(f"{partition}_{suffix}"), _table(schema, partition), sql.Identifier(column)
            )
        )


def create_day_indexes(connection: psycopg.Connection, schema: str, day: date) -> None:
    """Create the analysts' indexes of `day`'s job_postings partition where missing; commits."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_DAY_INDEX_LOCK, day.toordinal()))
        _create_partition_indexes(connection, schema, partition_name(POSTINGS_TABLE, day))


def day_has_rows(connection: psycopg.Connection, schema: str, day: date) -> bool:
    """Whether `day`'s job_postings partition holds any row; commits."""
    with connection.transaction():
        query = sql.SQL("SELECT EXISTS (SELECT FROM {})")
        return connection.execute(
            query.format(_table(schema, partition_name(POSTINGS_TABLE, day)))
        ).fetchone()[0]


def check_columns(connection: psycopg.Connection, schema: str) -> None:
    """Raise WarehouseSchemaError naming the table and column when a table's columns differ from the
    loader's (a column missing, of another type, or one the loader does not know)."""
    rows = connection.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = ANY(%s)",
        (schema, list(TABLE_COLUMNS)),
    ).fetchall()
    connection.commit()
    found: dict[str, dict[str, str]] = {table: {} for table in TABLE_COLUMNS}
    for table, column, data_type in rows:
        found[table][column] = data_type
    for table, expected in TABLE_COLUMNS.items():
        actual = found[table]
        problems = [
            f"column {column} is missing"
            if column not in actual
            else f"column {column} is {actual[column]}, expected {data_type}"
            for column, data_type in expected.items()
            if actual.get(column) != data_type
        ]
        problems += [
            f"column {column} is not one the loader writes" for column in actual if column not in expected
        ]
        if problems:
            raise WarehouseSchemaError(
                f"table {schema}.{table} does not have the warehouse's columns: {'; '.join(problems)}. "
                "Migrate or rename the table (or set WAREHOUSE_SCHEMA to another schema) so that it has "
                "exactly: "
                f"{', '.join(f'{c} {t}' for c, t in expected.items())}."
            )


def partition_name(table: str, day: date) -> str:
    return f"{table}_{day:%Y%m%d}"


def create_day_partitions(connection: psycopg.Connection, schema: str, day: date) -> None:
    """Create the range partitions of `day` in both tables where missing; commits."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        for table in TABLE_COLUMNS:
            connection.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
                    _table(schema, partition_name(table, day)),
                    _table(schema, table),
                    sql.Literal(day),
                    sql.Literal(day + timedelta(days=1)),
                )
            )
