"""The analysts' views, one per common question, in the warehouse schema beside the tables they read:
`seniority_mix_by_company_30d` (each company's postings per level over the last 30 UTC days) and
`daily_seniority_shares` (each day's postings and share per level, from `seniority_daily`)."""

import psycopg
from psycopg import sql

from enrichment_platform.seniority.scale import LEVEL_NAMES, LEVELS
from enrichment_platform.warehouse.connection import connect, database_errors
from enrichment_platform.warehouse.schema import POSTINGS_TABLE
from enrichment_platform.warehouse.summary import (
    SUMMARY_TABLE,
    create_summary_table,
    level_postings_column,
    level_share_column,
)

MIX_BY_COMPANY_VIEW = "seniority_mix_by_company_30d"
DAILY_SHARES_VIEW = "daily_seniority_shares"
VIEWS = (MIX_BY_COMPANY_VIEW, DAILY_SHARES_VIEW)
WINDOW_DAYS = 30
# Serializes CREATE OR REPLACE VIEW across concurrent runs, which otherwise fail on each other's update.
_VIEWS_DDL_LOCK = 7_340_017

# Today and the 29 days before it, in UTC like the partitions, whatever the session's time zone;
# `share` is of the company's postings in that window. now() is stable, so the date partitions prune.
_MIX_BY_COMPANY = """
CREATE OR REPLACE VIEW {view} AS
SELECT counted.company,
       counted.seniority,
       levels.level_name,
       counted.postings,
       counted.postings::numeric / sum(counted.postings) OVER (PARTITION BY counted.company) AS share,
       (sum(counted.postings) OVER (PARTITION BY counted.company))::bigint AS company_postings
FROM (
    SELECT company, seniority, count(*) AS postings
    FROM {postings}
    WHERE posting_date > (now() AT TIME ZONE 'UTC')::date - {window_days}
    GROUP BY company, seniority
) AS counted
JOIN (VALUES {level_names}) AS levels (seniority, level_name) USING (seniority)
"""
# One row per day and level, unpivoted from the summary's level columns so that a chart groups by level.
_DAILY_SHARES = """
CREATE OR REPLACE VIEW {view} AS
SELECT daily.posting_date, levels.seniority, levels.level_name, levels.postings, levels.share
FROM {summary} AS daily
CROSS JOIN LATERAL (VALUES {level_columns}) AS levels (seniority, level_name, postings, share)
"""


def _level_names() -> sql.Composed:
    return sql.SQL(", ").join(
        sql.SQL("({}::smallint, {})").format(sql.Literal(level), sql.Literal(LEVEL_NAMES[level]))
        for level in LEVELS
    )


def _level_columns() -> sql.Composed:
    return sql.SQL(", ").join(
        sql.SQL("({}::smallint, {}, daily.{}, daily.{})").format(
            sql.Literal(level),
            sql.Literal(LEVEL_NAMES[level]),
            sql.Identifier(level_postings_column(level)),
            sql.Identifier(level_share_column(level)),
        )
        for level in LEVELS
    )


def create_views(connection: psycopg.Connection, schema: str) -> None:
    """Create or replace the views in `schema`, whose tables exist; commits."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_VIEWS_DDL_LOCK,))
        connection.execute(
            sql.SQL(_MIX_BY_COMPANY).format(
                view=sql.Identifier(schema, MIX_BY_COMPANY_VIEW),
                postings=sql.Identifier(schema, POSTINGS_TABLE),
                window_days=sql.Literal(WINDOW_DAYS),
                level_names=_level_names(),
            )
        )
        connection.execute(
            sql.SQL(_DAILY_SHARES).format(
                view=sql.Identifier(schema, DAILY_SHARES_VIEW),
                summary=sql.Identifier(schema, SUMMARY_TABLE),
                level_columns=_level_columns(),
            )
        )


def refresh_views(url: str, schema: str) -> None:
    """Create the tables the views read where missing, and create or replace the views."""
    with database_errors(url, f"creating the views {', '.join(VIEWS)} in schema {schema}"):
        with connect(url) as connection:
            connection.autocommit = True  # transactions are explicit
            create_summary_table(connection, schema)
            create_views(connection, schema)
