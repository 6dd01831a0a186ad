"""The tests' PostgreSQL: a database in a running server is dropped on stop; a private server really runs."""

import os
import shutil
from pathlib import Path

import psycopg2
import pytest

from enrichment_platform.devstack.processes import ServiceStartError, free_port, port_answers
from enrichment_platform_tests.support import postgres, postgres_install

pytestmark = pytest.mark.integration


def _select_one(service: postgres.PostgresService) -> tuple:
    assert service.url.startswith("postgresql+psycopg2://")
    # psycopg2 takes the libpq form of the same URL.
    with psycopg2.connect(service.url.replace("postgresql+psycopg2://", "postgresql://")) as connection:
        with connection.cursor() as cursor:
            cursor.execute("select 1, current_database()")
            return cursor.fetchone()


def _process_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line in /proc/{pid}/status")


def test_postgres_fixture_answers_select_one(postgres_url):
    assert _select_one(postgres_url) == (1, postgres_url.db_name)
    assert postgres_url.dagster_postgres_db()["db_name"] == postgres_url.db_name


def test_external_postgres_database_is_dropped_on_stop(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "external")
    if postgres.connect_or_none(postgres.postgres_server_url()) is None:
        pytest.skip(f"no PostgreSQL at {postgres.postgres_server_url()} to reuse")
    with postgres.start_postgres(tmp_path) as service:
        assert service.mode == "external"
        assert _select_one(service) == (1, service.db_name)
    with psycopg2.connect(postgres.postgres_server_url()) as admin, admin.cursor() as cursor:
        cursor.execute("select count(*) from pg_database where datname = %s", (service.db_name,))
        assert cursor.fetchone() == (0,)


def test_external_postgres_mode_fails_clearly_when_nothing_listens(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "external")
    closed_port = free_port()
    monkeypatch.setenv("ENRICHMENT_PG_URL", f"postgresql://postgres@127.0.0.1:{closed_port}/postgres")
    with pytest.raises(ServiceStartError, match="ENRICHMENT_PG_MODE=auto"):
        postgres.start_postgres(tmp_path)


def test_unknown_postgres_mode_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "docker")
    with pytest.raises(ValueError, match="auto, external, spawn"):
        postgres.start_postgres(tmp_path)


@pytest.mark.slow
def test_spawned_postgres_from_pgserver_binaries_answers_then_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "spawn")
    with postgres.start_postgres(tmp_path) as service:
        assert service.mode == "spawned"
        assert service.port != 5432
        assert _select_one(service) == (1, "enrichment")
        server_pid = service.process.pid
        if os.geteuid() == 0:
            # PostgreSQL refuses root, so the server must run as an unprivileged user.
            assert _process_uid(server_pid) != 0
    assert service.process.popen.returncode is not None
    assert not port_answers(service.port)
    assert list(tmp_path.glob("postgres-*.log"))


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
    with postgres.start_postgres(tmp_path / "work") as service:
        assert _select_one(service) == (1, "enrichment")
        assert not os.readlink(f"/proc/{service.process.pid}/exe").startswith(str(private))
