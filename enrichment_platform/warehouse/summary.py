"""The daily seniority summary for dashboards: per UTC day, postings per level and each level's share,
distinct companies, and the cache hit rate and model requests of the processing that produced the day's
levels; computed with pandas from `job_postings` and kept in `seniority_daily`, one row per day, replaced
when the day is summarized again."""

from dataclasses import dataclass
from datetime import date

import pandas as pd
import psycopg
from psycopg import sql

from enrichment_platform.seniority.scale import LEVEL_NAMES, LEVELS
from enrichment_platform.warehouse.connection import connect, database_errors
from enrichment_platform.warehouse.schema import POSTINGS_TABLE, create_tables

SUMMARY_TABLE = "seniority_daily"
# Serializes the summary table's DDL across concurrent runs: IF NOT EXISTS races.
_SUMMARY_DDL_LOCK = 7_340_016


def level_postings_column(level: int) -> str:
    return f"level_{level}_postings"


def level_share_column(level: int) -> str:
    return f"level_{level}_share"


# Column -> SQL type, in table order: the row of one day.
SUMMARY_COLUMNS = {
    "posting_date": "date",
    "postings": "bigint",
    "distinct_companies": "bigint",
    **{level_postings_column(level): "bigint" for level in LEVELS},
    **{level_share_column(level): "double precision" for level in LEVELS},
    "pairs_looked_up": "bigint",
    "cache_hits": "bigint",
    "cache_hit_rate": "double precision",
    "model_requests": "bigint",
}


@dataclass(frozen=True)
class AugmentationTotals:
    """What the augmentation of a day's files recorded: distinct pairs looked up (per file, summed), cache
    hits among them, and pairs sent to the model."""

    pairs_looked_up: int = 0
    cache_hits: int = 0
    model_requests: int = 0

    @classmethod
    def from_manifest_files(cls, files: dict[str, dict]) -> "AugmentationTotals":
        """The totals over every file of the augmentation manifest: the processing behind the current levels
        of the whole day, not only the files of the latest run."""
        return cls(
            pairs_looked_up=sum(entry.get("distinct_pairs", 0) for entry in files.values()),
            cache_hits=sum(entry.get("cache_hits", 0) for entry in files.values()),
            model_requests=sum(entry.get("model_requests", 0) for entry in files.values()),
        )

    @property
    def cache_hit_rate(self) -> float:
        """Cache hits per pair looked up, as the augmentation reports it (0.0 when none was looked up)."""
        return round(self.cache_hits / self.pairs_looked_up, 4) if self.pairs_looked_up else 0.0


def read_day_counts(connection: psycopg.Connection, schema: str, day: date) -> pd.DataFrame:
    """Postings of `day` per (company, seniority): PostgreSQL aggregates, so pandas gets one row per pair
    of company and level rather than one per posting."""
    query = sql.SQL(
        "SELECT company, seniority, count(*) AS postings FROM {} WHERE posting_date = %s "
        "GROUP BY company, seniority"
    ).format(sql.Identifier(schema, POSTINGS_TABLE))
    rows = connection.execute(query, (day,)).fetchall()
    frame = pd.DataFrame(rows, columns=["company", "seniority", "postings"])
    return frame.astype({"seniority": "Int64", "postings": "int64"})


def summarize_day(counts: pd.DataFrame, day: date, augmentation: AugmentationTotals) -> pd.Series:
    """The `seniority_daily` row of `day` from its (company, seniority, postings) counts."""
    postings = int(counts["postings"].sum())
    per_level = counts.groupby("seniority")["postings"].sum().reindex(list(LEVELS), fill_value=0)
    shares = per_level / postings if postings else per_level * 0.0
    row = {
        "posting_date": day,
        "postings": postings,
        "distinct_companies": int(counts["company"].nunique()),  # as the postings spell them
        **{level_postings_column(level): int(per_level[level]) for level in LEVELS},
        **{level_share_column(level): round(float(shares[level]), 6) for level in LEVELS},
        "pairs_looked_up": augmentation.pairs_looked_up,
        "cache_hits": augmentation.cache_hits,
        "cache_hit_rate": augmentation.cache_hit_rate,
        "model_requests": augmentation.model_requests,
    }
    return pd.Series(row)[list(SUMMARY_COLUMNS)]


def level_table(summary: pd.Series) -> pd.DataFrame:
    """One row per level of a day's summary: its name, postings and share."""
    return pd.DataFrame(
        {
            "level": list(LEVELS),
            "name": [LEVEL_NAMES[level] for level in LEVELS],
            "postings": [summary[level_postings_column(level)] for level in LEVELS],
            "share": [summary[level_share_column(level)] for level in LEVELS],
        }
    )


def level_table_markdown(summary: pd.Series) -> str:
    """The level table of a day's summary as a Markdown table (shares in percent)."""
    table = level_table(summary)
    lines = ["| level | name | postings | share |", "|---:|---|---:|---:|"]
    lines += [
        f"| {row.level} | {row.name} | {row.postings:,} | {row.share:.1%} |"
        for row in table.itertuples(index=False)
    ]
    lines.append(f"| | **all** | **{summary['postings']:,}** | |")
    return "\n".join(lines)


def write_day_summary(connection: psycopg.Connection, schema: str, summary: pd.Series) -> None:
    """Insert the day's row, or replace the one an earlier summary of the day wrote."""
    names = list(SUMMARY_COLUMNS)
    statement = sql.SQL(
        "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (posting_date) DO UPDATE SET {updates}"
    ).format(
        table=sql.Identifier(schema, SUMMARY_TABLE),
        columns=sql.SQL(", ").join(map(sql.Identifier, names)),
        values=sql.SQL(", ").join(sql.Placeholder() * len(names)),
        updates=sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in names[1:]
        ),
    )
    connection.execute(statement, [summary[name] for name in names])


def create_summary_table(connection: psycopg.Connection, schema: str) -> None:
    """Create the warehouse tables (checking their columns) and `seniority_daily` where missing; commits."""
    create_tables(connection, schema)  # a day never loaded is summarized as empty, not as an error
    columns = [
        sql.SQL("{} {} NOT NULL").format(sql.Identifier(name), sql.SQL(data_type))
        for name, data_type in SUMMARY_COLUMNS.items()
    ]
    columns.append(sql.SQL("PRIMARY KEY (posting_date)"))
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SUMMARY_DDL_LOCK,))
        connection.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                sql.Identifier(schema, SUMMARY_TABLE), sql.SQL(", ").join(columns)
            )
        )


def refresh_day_summary(url: str, schema: str, day: date, augmentation: AugmentationTotals) -> pd.Series:
    """Summarize `day` from the warehouse at `url` into `seniority_daily`, replacing its row; the row."""
    with database_errors(url, f"summarizing {day} into {schema}.{SUMMARY_TABLE}"):
        with connect(url) as connection:
            connection.autocommit = True  # transactions are explicit
            create_summary_table(connection, schema)
            summary = summarize_day(read_day_counts(connection, schema, day), day, augmentation)
            with connection.transaction():
                write_day_summary(connection, schema, summary)
    return summary
