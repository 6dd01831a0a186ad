"""The platform's configuration: its environment variables and their local defaults, in one place."""

import os

DEFAULTS = {
    "RAW_POSTINGS_URI": "s3://rl-data/job-postings-raw/",
    "AUGMENTED_POSTINGS_URI": "s3://rl-data/job-postings-mod/",
    "QUARANTINE_URI": "s3://rl-data/job-postings-quarantine/",
    "STAGING_URI": "s3://rl-data/enrichment-staging/",
    "REQUESTS_URI": "s3://rl-data/enrichment-requests/",  # pushed requests: parts, closed.json, results
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SENIORITY_MODEL_TARGET": "127.0.0.1:50051",
    "SENIORITY_MODEL_CAPACITY": "1000",
    "PARTITIONS_START_DATE": "2024-01-01",
    "WAREHOUSE_URL": "postgresql://postgres@127.0.0.1:5432/enrichment",
    "WAREHOUSE_SCHEMA": "enrichment",
    # Operational settings beyond the data locations and services.
    "SENIORITY_MODEL_VERSION": "",  # empty: ask the server (x-model-version), else "unversioned"
    "SENIORITY_MODEL_TLS_CA": "",  # PEM CA of the model server's certificate: set to speak TLS
    "SENIORITY_MODEL_TLS_CERT": "",  # PEM client certificate, for a server that asks for one (mutual TLS)
    "SENIORITY_MODEL_TLS_KEY": "",  # PEM private key of SENIORITY_MODEL_TLS_CERT
    "RAW_SENSOR_LOOKBACK_SECONDS": "86400",
    "RAW_POSTINGS_QUEUE_URL": "",  # SQS queue of the raw prefix's S3 events; set: the sensor reads it, not S3
    "RAW_SENSOR_QUEUE_MAX_MESSAGES": "200",  # messages (files) one tick takes from that queue
    # Attempts per S3 request, exponential backoff with jitter capped at 20 s: rides out a burst of SlowDown.
    "ENRICHMENT_S3_MAX_ATTEMPTS": "8",
    "ENRICHMENT_STEP_RETRIES": "3",
    "ENRICHMENT_STEP_RETRY_DELAY_SECONDS": "10",
    # Files a step has in flight at once: their S3 requests, Redis and model calls overlap each other's waits.
    "ENRICHMENT_FILES_IN_FLIGHT": "16",
    # A raw file larger than this is validated, augmented and exported this many bytes (whole lines) at once.
    "ENRICHMENT_CHUNK_BYTES": "8388608",
    "ENRICHMENT_WORKER_PROCESSES": "auto",  # processes validating raw files; auto: 2 from 8 pending files
    "ENRICHMENT_ALERT_WEBHOOK_URL": "",  # empty: failed runs are not posted anywhere
    "ENRICHMENT_LOG_FORMAT": "text",  # json: every process logs one JSON object per line
    "RAW_MAX_SILENCE_MINUTES": "15",  # no raw file for this long: the scraper is alerted about as silent
    "ENRICHMENT_API_KEYS": "",  # bearer keys of the HTTP API, comma-separated; empty: every /v1/ call refused
}


def setting(name: str) -> str:
    """The value of a configuration variable: the environment's, else the local default."""
    return os.environ.get(name) or DEFAULTS[name]
