"""Thin Dagster resources: S3 locations, the raw prefix's event queue, the Redis cache, the gRPC model
client, the PostgreSQL warehouse."""

import os

import dagster as dg
from dagster_aws.s3 import S3Resource

from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.defs.resources.queue import RawPostingsQueue
from enrichment_platform.defs.resources.requests import PushedRequests
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.defs.resources.warehouse import PostgresWarehouse
from enrichment_platform.settings import DEFAULTS, setting


def secret_setting(name: str) -> str | dg.EnvVar:
    """A resource field that may hold a secret: an `EnvVar` when the variable is set (kept out of the UI),
    else the local default."""
    return dg.EnvVar(name) if os.environ.get(name) else DEFAULTS[name]


def default_resources() -> dict:
    """The resources configured from the environment (local defaults where a variable is unset)."""
    storage = PostingsStorage(
        # dagster-aws sets botocore's standard retry mode: throttling and 5xx are retried with backoff.
        s3=S3Resource(max_attempts=int(setting("ENRICHMENT_S3_MAX_ATTEMPTS"))),
        raw_uri=setting("RAW_POSTINGS_URI"),
        augmented_uri=setting("AUGMENTED_POSTINGS_URI"),
        quarantine_uri=setting("QUARANTINE_URI"),
        staging_uri=setting("STAGING_URI"),
    )
    return {
        "storage": storage,
        "requests": PushedRequests(
            storage=storage, redis_url=secret_setting("REDIS_URL"), requests_uri=setting("REQUESTS_URI")
        ),
        "raw_postings_queue": RawPostingsQueue(queue_url=setting("RAW_POSTINGS_QUEUE_URL")),
        "cache": SeniorityCache(redis_url=secret_setting("REDIS_URL")),
        "model": SeniorityModelClient(
            target=setting("SENIORITY_MODEL_TARGET"),
            capacity=int(setting("SENIORITY_MODEL_CAPACITY")),
            rate_limit_redis_url=secret_setting("REDIS_URL"),
            model_version_override=setting("SENIORITY_MODEL_VERSION"),
            tls_ca_path=setting("SENIORITY_MODEL_TLS_CA"),
            tls_cert_path=setting("SENIORITY_MODEL_TLS_CERT"),
            tls_key_path=setting("SENIORITY_MODEL_TLS_KEY"),
        ),
        "warehouse": PostgresWarehouse(
            url=secret_setting("WAREHOUSE_URL"), schema_name=setting("WAREHOUSE_SCHEMA")
        ),
    }
