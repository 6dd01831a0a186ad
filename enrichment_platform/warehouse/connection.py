"""Connecting to the warehouse database, and the errors that say which database failed and what to check."""

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

CONNECT_TIMEOUT_SECONDS = 10


class WarehouseUnavailableError(RuntimeError):
    """The warehouse database is unreachable, refuses the connection or a statement (infrastructure: the
    step fails and Dagster retries it; a file's rows are never half loaded)."""


class WarehouseSchemaError(WarehouseUnavailableError):
    """A warehouse table exists with columns other than the ones the loader writes."""


def redact_url(url: str) -> str:
    """`url` with its password (if any) replaced by `***`, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def database_errors(url: str, action: str) -> Iterator[None]:
    """Turn a PostgreSQL failure (other than refused data, which the loader handles) into one error naming
    the database, without its password, and what was being done."""
    try:
        yield
    except psycopg.Error as error:
        if isinstance(error, psycopg.DataError):
            raise
        detail = " ".join(str(error).split()) or type(error).__name__
        raise WarehouseUnavailableError(
            f"warehouse database {redact_url(url)} failed while {action}: {detail}. Check that PostgreSQL "
            "runs there, that WAREHOUSE_URL's user, password and database are right, and that the server has "
            "disk space; Dagster retries the step, and no file is left half loaded."
        ) from error


def connect(url: str) -> psycopg.Connection:
    """A new connection to the warehouse at `url` (a libpq URL), with a bounded connect timeout."""
    with database_errors(url, "connecting"):
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS)
