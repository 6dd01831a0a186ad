"""PostgreSQL for the tests: a fresh database in a running server, or a private server from pgserver's
binaries (run as an unprivileged user when the tests run as root), dropped or removed on stop."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg2
from psycopg2 import sql

from enrichment_platform.devstack.processes import (
    LOCALHOST,
    LocalService,
    ManagedProcess,
    ServiceStartError,
    retry_on_taken_port,
    spawn,
    wait_until_ready,
)
from enrichment_platform_tests.support.postgres_install import PrivateInstall, initdb, prepare_private_install

log = logging.getLogger(__name__)

DEFAULT_PG_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_MODES = ("auto", "external", "spawn")
# A throwaway server: durability costs time and buys nothing here.
THROWAWAY_SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
)


@dataclass
class PostgresService(LocalService):
    """A PostgreSQL database for Dagster storage: new in a running server, or in a private server."""

    host: str
    port: int
    user: str
    password: str
    db_name: str
    mode: str  # "external" (database created in a running server) or "spawned" (private server)
    process: ManagedProcess | None = field(default=None, repr=False)  # the private server, when spawned
    _on_stop: list = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL (what dagster-postgres' `postgres_url` expects)."""
        return self._url("postgresql+psycopg2")

    @property
    def libpq_url(self) -> str:
        """Plain libpq URL for psycopg2.connect and psql."""
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


def start_postgres(workdir: str | Path, timeout: float = 60.0) -> PostgresService:
    """A fresh, uniquely named database in a reachable server, or a private server when none is reachable."""
    mode = postgres_mode()
    if mode in ("auto", "external"):
        server_url = postgres_server_url()
        admin = connect_or_none(server_url)
        if admin is not None:
            return _create_database(admin, server_url)
        if mode == "external":
            raise ServiceStartError(
                f"ENRICHMENT_PG_MODE=external but no PostgreSQL answers at {_redact(server_url)}; start one, "
                "point ENRICHMENT_PG_URL at one, or set ENRICHMENT_PG_MODE=auto to spawn a private server"
            )
        log.info("no PostgreSQL at %s; spawning a private server", _redact(server_url))
    return _spawn_postgres(Path(workdir), timeout)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def connect_or_none(url: str):
    """An autocommit psycopg2 connection to `url`, or None when no server answers there."""
    try:
        connection = psycopg2.connect(url, connect_timeout=3)
    except psycopg2.OperationalError:
        return None
    connection.autocommit = True
    return connection


def _create_database(admin, server_url: str) -> PostgresService:
    db_name = f"enrichment_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))
    except psycopg2.Error as error:
        admin.close()
        raise ServiceStartError(
            f"could not create database {db_name} in {_redact(server_url)}: {error}. Grant CREATEDB to that "
            "user, point ENRICHMENT_PG_URL at another server, or set ENRICHMENT_PG_MODE=spawn"
        ) from error
    admin.close()
    parts = urlsplit(server_url)
    service = PostgresService(
        host=parts.hostname or LOCALHOST,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        db_name=db_name,
        mode="external",
    )
    service._on_stop.append(lambda: _drop_database(server_url, db_name))
    return service


def _drop_database(server_url: str, db_name: str) -> None:
    admin = connect_or_none(server_url)
    if admin is None:
        log.warning("could not reach %s to drop database %s", _redact(server_url), db_name)
        return
    try:
        with admin.cursor() as cursor:
            # FORCE (PostgreSQL 13+) ends sessions Dagster processes may still hold.
            force = sql.SQL(" WITH (FORCE)") if admin.server_version >= 130000 else sql.SQL("")
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db_name)) + force)
    finally:
        admin.close()


def _start_private_server(
    install: PrivateInstall, workdir: Path, port: int, timeout: float
) -> PostgresService:
    # TCP only: a socket path under a deep work directory can exceed the 107-byte limit.
    command = [str(install.bin_dir / "postgres"), "-D", str(install.pgdata), "-h", LOCALHOST, "-p", str(port)]
    for setting in ("unix_socket_directories=", *THROWAWAY_SERVER_SETTINGS):
        command += ["-c", setting]
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for Dagster's open sessions.
    process = spawn(
        "postgres",
        command,
        workdir / f"postgres-{port}.log",
        env=install.env,
        cwd=install.root,
        run_as=install.run_as,
        stop_signal=signal.SIGINT,
    )
    server_url = f"postgresql://postgres@{LOCALHOST}:{port}/postgres"
    admin_holder = []

    def ready() -> bool:
        connection = connect_or_none(server_url)
        if connection is not None:
            admin_holder.append(connection)
        return connection is not None

    wait_until_ready(
        process, ready, timeout, f"could not start PostgreSQL from {install.bin_dir} on port {port}"
    )
    admin = admin_holder[0]
    try:
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE enrichment")
    finally:
        admin.close()
    service = PostgresService(
        host=LOCALHOST,
        port=port,
        user="postgres",
        password="",
        db_name="enrichment",
        mode="spawned",
        process=process,
    )
    service._on_stop.append(process.stop)
    return service


def _spawn_postgres(workdir: Path, timeout: float) -> PostgresService:
    workdir.mkdir(parents=True, exist_ok=True)
    install = prepare_private_install(workdir)
    try:
        initdb(install, workdir, timeout)
        service = retry_on_taken_port(
            lambda port: _start_private_server(install, workdir, port, timeout), None
        )
    except BaseException:
        shutil.rmtree(install.root, ignore_errors=True)
        raise
    service._on_stop.insert(0, lambda: shutil.rmtree(install.root, ignore_errors=True))
    return service
