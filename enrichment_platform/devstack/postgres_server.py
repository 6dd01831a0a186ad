"""PostgreSQL for the demo and the tests: a database of their own in a running server, or a private server
from pgserver's binaries (run as an unprivileged user when we run as root), dropped or removed on stop."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

from enrichment_platform.devstack.postgres_install import PrivateInstall, initdb, prepare_private_install
from enrichment_platform.devstack.processes import (
    LOCALHOST,
    LocalService,
    ManagedProcess,
    ServiceStartError,
    retry_on_taken_port,
    spawn,
    wait_until_ready,
)

log = logging.getLogger(__name__)

DEFAULT_PG_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_MODES = ("auto", "external", "spawn")
PRIVATE_SERVER_DATABASE = "enrichment"
# Marks the databases made here: only those are ever replaced or dropped.
DATABASE_MARKER = "made by enrichment_platform.devstack; dropped when the service that made it stops"
# A throwaway server: durability costs time and buys nothing here.
THROWAWAY_SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
)


@dataclass
class PostgresService(LocalService):
    """A PostgreSQL database of our own: new in a running server, or in a private server."""

    host: str
    port: int
    user: str
    password: str
    db_name: str
    mode: str  # "external" (database created in a running server) or "spawned" (private server)
    process: ManagedProcess | None = field(default=None, repr=False)  # the private server, when spawned
    install: PrivateInstall | None = field(default=None, repr=False)
    _on_stop: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL (what dagster-postgres' `postgres_url` expects)."""
        return self._url("postgresql+psycopg2")

    @property
    def libpq_url(self) -> str:
        """Plain libpq URL for psycopg.connect, psql and WAREHOUSE_URL."""
        return self._url("postgresql")

    def dagster_postgres_db(self) -> dict:
        """The `postgres_db` block of dagster.yaml storage for this database."""
        return {
            "hostname": self.host,
            "port": self.port,
            "username": self.user,
            "password": self.password,
            "db_name": self.db_name,
        }

    def _url(self, scheme: str) -> str:
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        return f"{scheme}://{credentials}@{self.host}:{self.port}/{quote(self.db_name, safe='')}"

    def stop(self) -> None:
        while self._on_stop:
            self._on_stop.pop()()


def postgres_mode() -> str:
    """ENRICHMENT_PG_MODE: auto (reuse a running server, else spawn), external (reuse only), spawn."""
    mode = os.environ.get("ENRICHMENT_PG_MODE", "auto").strip().lower() or "auto"
    if mode not in PG_MODES:
        raise ValueError(f"ENRICHMENT_PG_MODE={mode!r} is not one of {', '.join(PG_MODES)}")
    return mode


def postgres_server_url() -> str:
    """The running server to create databases in: ENRICHMENT_PG_URL, default postgres@127.0.0.1:5432."""
    url = os.environ.get("ENRICHMENT_PG_URL") or DEFAULT_PG_SERVER_URL
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def start_postgres(
    workdir: str | Path,
    timeout: float = 60.0,
    *,
    database: str | None = None,
    logs: str | Path | None = None,
    keep: bool = False,
) -> PostgresService:
    """A database of our own in a reachable server, or a private server (its files in `workdir`) when none is.

    `database` names it (default: a unique name, or `enrichment` in a private server); a database of that
    name made by an earlier start is replaced, any other is refused. `logs` receives the private server's
    logs (default `workdir`). With `keep`, stop() leaves the database, or the private server's files.
    """
    mode = postgres_mode()
    if mode in ("auto", "external"):
        server_url = postgres_server_url()
        admin = connect_or_none(server_url)
        if admin is not None:
            name = database or f"enrichment_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            return _create_database(admin, server_url, name, keep)
        if mode == "external":
            raise ServiceStartError(
                f"ENRICHMENT_PG_MODE=external but no PostgreSQL answers at {redact(server_url)}; start one, "
                "point ENRICHMENT_PG_URL at one, or set ENRICHMENT_PG_MODE=auto to spawn a private server"
            )
        log.info("no PostgreSQL at %s; spawning a private server", redact(server_url))
    workdir = Path(workdir)
    logs = Path(logs) if logs is not None else workdir
    return _spawn_postgres(workdir, logs, timeout, database or PRIVATE_SERVER_DATABASE, keep)


def redact(url: str) -> str:
    """`url` with its password hidden, for messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def connect_or_none(url: str) -> psycopg.Connection | None:
    """An autocommit psycopg connection to `url`, or None when no server answers there (or it refuses us)."""
    try:
        return psycopg.connect(url, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        log.debug("no connection to %s: %s", redact(url), str(error).strip())
        return None


def _create_database(admin: psycopg.Connection, server_url: str, db_name: str, keep: bool) -> PostgresService:
    with admin:
        _replace_own_database(admin, server_url, db_name)
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))
            admin.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(db_name), sql.Literal(DATABASE_MARKER)
                )
            )
        except psycopg.Error as error:
            raise ServiceStartError(
                f"could not create database {db_name} in {redact(server_url)}: {error}. Grant CREATEDB to "
                "that user, point ENRICHMENT_PG_URL at another server, or set ENRICHMENT_PG_MODE=spawn"
            ) from error
    parts = urlsplit(server_url)
    service = PostgresService(
        host=parts.hostname or LOCALHOST,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        db_name=db_name,
        mode="external",
    )
    if not keep:
        service._on_stop.append(lambda: _drop_database(server_url, db_name))
    return service


def _replace_own_database(admin: psycopg.Connection, server_url: str, db_name: str) -> None:
    """Drop a database of that name left by an earlier start (kept, or its process killed); refuse others."""
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (db_name,)
    ).fetchone()
    if row is None:
        return
    if row[0] != DATABASE_MARKER:
        raise ServiceStartError(
            f"database {db_name} in {redact(server_url)} was not made by enrichment_platform, so it is left "
            "alone; drop or rename it, or set ENRICHMENT_PG_MODE=spawn for a private server"
        )
    try:
        # Without FORCE: a database still in use belongs to a running demo or test session.
        admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(db_name)))
    except psycopg.errors.ObjectInUse as error:
        raise ServiceStartError(
            f"database {db_name} in {redact(server_url)} is in use, by another demo perhaps; stop it first, "
            "or set ENRICHMENT_PG_MODE=spawn for a private server"
        ) from error


def _drop_database(server_url: str, db_name: str) -> None:
    admin = connect_or_none(server_url)
    if admin is None:
        log.warning("could not reach %s to drop database %s", redact(server_url), db_name)
        return
    with admin:
        # FORCE (PostgreSQL 13+) ends sessions Dagster processes or a psql may still hold.
        force = sql.SQL(" WITH (FORCE)") if admin.info.server_version >= 130000 else sql.SQL("")
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db_name)) + force)


def _start_private_server(
    install: PrivateInstall, logs: Path, port: int, timeout: float, db_name: str
) -> PostgresService:
    # TCP only: a socket path under a deep work directory can exceed the 107-byte limit.
    command = [str(install.bin_dir / "postgres"), "-D", str(install.pgdata), "-h", LOCALHOST, "-p", str(port)]
    for setting in ("unix_socket_directories=", *THROWAWAY_SERVER_SETTINGS):
        command += ["-c", setting]
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for Dagster's open sessions.
    process = spawn(
        "postgres",
        command,
        logs / f"postgres-{port}.log",
        env=install.env,
        cwd=install.root,
        run_as=install.run_as,
        stop_signal=signal.SIGINT,
    )
    server_url = f"postgresql://postgres@{LOCALHOST}:{port}/postgres"
    admin_holder: list[psycopg.Connection] = []

    def ready() -> bool:
        connection = connect_or_none(server_url)
        if connection is not None:
            admin_holder.append(connection)
        return connection is not None

    wait_until_ready(
        process, ready, timeout, f"could not start PostgreSQL from {install.bin_dir} on port {port}"
    )
    with admin_holder[0] as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))
    service = PostgresService(
        host=LOCALHOST,
        port=port,
        user="postgres",
        password="",
        db_name=db_name,
        mode="spawned",
        process=process,
        install=install,
    )
    service._on_stop.append(process.stop)
    return service


def _spawn_postgres(workdir: Path, logs: Path, timeout: float, db_name: str, keep: bool) -> PostgresService:
    workdir.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    install = prepare_private_install(workdir)
    try:
        initdb(install, logs, timeout)
        service = retry_on_taken_port(
            lambda port: _start_private_server(install, logs, port, timeout, db_name), None
        )
    except BaseException:
        shutil.rmtree(install.root, ignore_errors=True)
        raise
    if not keep:
        service._on_stop.insert(0, lambda: shutil.rmtree(install.root, ignore_errors=True))
    return service
