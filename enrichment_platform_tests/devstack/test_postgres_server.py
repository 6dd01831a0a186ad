"""PostgreSQL of the demo and the tests: a database made in a running server is dropped on stop, other
databases are never touched; a private server from pgserver's binaries runs; the package needs no psycopg2."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from enrichment_platform.devstack import postgres_install, postgres_server
from enrichment_platform.devstack.processes import ServiceStartError, free_port, port_answers

pytestmark = pytest.mark.integration


def _select_one(service: postgres_server.PostgresService) -> tuple:
    assert service.url.startswith("postgresql+psycopg2://")
    with psycopg.connect(service.libpq_url) as connection:
        return connection.execute("select 1, current_database()").fetchone()


def _databases_named(name: str) -> int:
    with psycopg.connect(postgres_server.postgres_server_url()) as admin:
        return admin.execute("select count(*) from pg_database where datname = %s", (name,)).fetchone()[0]


def _process_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line in /proc/{pid}/status")


@pytest.fixture
def external_server(monkeypatch) -> str:
    """The machine's PostgreSQL, for the tests of databases made in a running server."""
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "external")
    url = postgres_server.postgres_server_url()
    connection = postgres_server.connect_or_none(url)
    if connection is None:
        pytest.skip(f"no PostgreSQL at {url} to reuse")
    connection.close()
    return url


def test_postgres_fixture_answers_select_one(postgres_url):
    assert _select_one(postgres_url) == (1, postgres_url.db_name)
    assert postgres_url.dagster_postgres_db()["db_name"] == postgres_url.db_name


def test_external_postgres_database_is_dropped_on_stop(tmp_path, external_server):
    with postgres_server.start_postgres(tmp_path) as service:
        assert service.mode == "external"
        assert _select_one(service) == (1, service.db_name)
    assert _databases_named(service.db_name) == 0


def test_a_named_database_left_by_an_earlier_start_is_replaced_and_kept_only_when_asked(
    tmp_path, external_server
):
    name = f"enrichment_kept_{os.getpid()}"
    kept = postgres_server.start_postgres(tmp_path, database=name, keep=True)
    with psycopg.connect(kept.libpq_url) as connection:
        connection.execute("create table left_behind (n int)")
    kept.stop()
    assert _databases_named(name) == 1

    with postgres_server.start_postgres(tmp_path, database=name) as service:
        assert service.db_name == name
        with psycopg.connect(service.libpq_url) as connection:
            tables = connection.execute("select count(*) from pg_tables where tablename = 'left_behind'")
            assert tables.fetchone() == (0,)  # a fresh database, not the kept one
    assert _databases_named(name) == 0


def test_a_database_of_the_same_name_not_made_here_is_refused_and_left_alone(tmp_path, external_server):
    name = f"enrichment_theirs_{os.getpid()}"
    with psycopg.connect(external_server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with pytest.raises(ServiceStartError, match=f"database {name} .* not made by enrichment_platform"):
            postgres_server.start_postgres(tmp_path, database=name)
        assert _databases_named(name) == 1
    finally:
        with psycopg.connect(external_server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))


def test_external_postgres_mode_fails_clearly_when_nothing_listens(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "external")
    closed_port = free_port()
    monkeypatch.setenv("ENRICHMENT_PG_URL", f"postgresql://postgres@127.0.0.1:{closed_port}/postgres")
    with pytest.raises(ServiceStartError, match="ENRICHMENT_PG_MODE=auto"):
        postgres_server.start_postgres(tmp_path)


def test_unknown_postgres_mode_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "docker")
    with pytest.raises(ValueError, match="auto, external, spawn"):
        postgres_server.start_postgres(tmp_path)


def test_the_package_reaches_postgresql_without_psycopg2():
    modules = "enrichment_platform.devstack.postgres_server, enrichment_platform.devstack.demo_platform"
    check = f"import sys, {modules}; print('psycopg2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_spawned_postgres_from_pgserver_binaries_answers_then_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "spawn")
    with postgres_server.start_postgres(tmp_path / "files", logs=tmp_path / "logs") as service:
        assert service.mode == "spawned"
        assert service.port != 5432
        assert _select_one(service) == (1, "enrichment")
        server_pid = service.process.pid
        if os.geteuid() == 0:
            # PostgreSQL refuses root, so the server must run as an unprivileged user.
            assert _process_uid(server_pid) != 0
    assert service.process.popen.returncode is not None
    assert not port_answers(service.port)
    assert list((tmp_path / "logs").glob("postgres-*.log"))
    assert not service.install.root.exists()


@pytest.mark.slow
def test_spawned_postgres_keeps_its_files_in_a_reachable_workdir_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "spawn")
    # Below a directory others may enter, as the demo's folder is, even under pytest's root-only temp dir.
    workdir = Path(tempfile.mkdtemp(prefix="enrichment-test-", dir="/tmp"))
    workdir.chmod(0o755)
    try:
        service = postgres_server.start_postgres(workdir, database="enrichment_demo", keep=True)
        with service:
            assert _select_one(service) == (1, "enrichment_demo")
        assert service.install.root.parent == workdir
        assert (service.install.pgdata / "PG_VERSION").exists()
    finally:
        shutil.rmtree(workdir)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands PostgreSQL to another user")
def test_spawned_postgres_copies_binaries_its_user_cannot_reach(tmp_path, monkeypatch):
    # A venv under a root-only directory (e.g. /root/project/.venv), as on a fresh machine run as root.
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    original = postgres_install.postgres_bin_dir().parent.parent
    shutil.copytree(
        original, private / original.name, ignore=shutil.ignore_patterns("include", "__pycache__")
    )
    libs = original.parent / f"{original.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, private / libs.name)
    monkeypatch.setattr(
        postgres_install, "postgres_bin_dir", lambda: private / original.name / "pginstall" / "bin"
    )
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "spawn")
    with postgres_server.start_postgres(tmp_path / "work") as service:
        assert _select_one(service) == (1, "enrichment")
        assert not os.readlink(f"/proc/{service.process.pid}/exe").startswith(str(private))
