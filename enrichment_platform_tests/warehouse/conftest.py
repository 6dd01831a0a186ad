"""A schema of its own per test in the session's PostgreSQL database, dropped afterwards."""

import uuid

import psycopg
import pytest
from psycopg import sql


@pytest.fixture
def warehouse_schema(postgres_url):
    """(libpq URL, schema name): a schema no other test uses; dropped with its tables after the test."""
    schema = f"warehouse_{uuid.uuid4().hex[:12]}"
    yield postgres_url.libpq_url, schema
    with psycopg.connect(postgres_url.libpq_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
