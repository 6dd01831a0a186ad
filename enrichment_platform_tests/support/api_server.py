"""The push intake API as a real process for the tests: `enrichment-platform api` on a free port, against the
session's Redis, S3 endpoint and model server, with a fresh bucket per test; stopped after the test."""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from enrichment_platform.devstack.api_process import start_api_process
from enrichment_platform.devstack.processes import free_port

API_KEY = "test-key-0123456789"


@dataclass
class ApiServer:
    """A running API process: its base URL, the key it accepts and where its requests are stored."""

    url: str
    key: str
    requests_uri: str
    bucket: str
    prefix: str  # REQUESTS_URI's key prefix in the bucket

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **extra}

    def post_part(self, erid: str, body, **headers: str) -> requests.Response:
        return requests.post(
            f"{self.url}/v1/requests/{erid}/parts",
            data=body,
            headers=self.headers(**{"Content-Type": "application/x-ndjson", **headers}),
            timeout=120,
        )

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(f"{self.url}{path}", headers=self.headers(), timeout=120, **kwargs)

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=self.headers(), timeout=120)


@contextmanager
def run_api_server(env: dict[str, str], workdir: Path) -> Iterator[ApiServer]:
    """Start `python -m enrichment_platform.cli api` with `env`, wait for /healthz, stop it afterwards."""
    port = free_port()
    process, url = start_api_process(env, workdir / f"api-{port}.log", port, timeout=90)
    try:
        bucket, _, prefix = env["REQUESTS_URI"].removeprefix("s3://").partition("/")
        keys = env.get("ENRICHMENT_API_KEYS", "")
        yield ApiServer(url, keys.split(",")[-1], env["REQUESTS_URI"], bucket, prefix)
    finally:
        process.stop()


@pytest.fixture
def api_env(s3_buckets, clean_redis, model_target) -> dict[str, str]:
    """The environment of an API process: this test's bucket, an empty Redis, the session's model, one key."""
    return {
        **os.environ,
        "REDIS_URL": clean_redis,
        "REQUESTS_URI": f"s3://{s3_buckets.bucket}/enrichment-requests/",
        "SENIORITY_MODEL_TARGET": model_target,
        "SENIORITY_MODEL_CAPACITY": "0",
        # A namespace of this test's own: its pairs are all new to the cache.
        "SENIORITY_MODEL_VERSION": f"api-test-{uuid.uuid4().hex[:8]}",
        "ENRICHMENT_API_KEYS": f"other-key,{API_KEY}",
    }


@pytest.fixture
def start_api(api_env, tmp_path) -> Iterator[Callable[..., ApiServer]]:
    """Start an API server with the test's environment changed by keyword arguments (None: unset)."""
    with ExitStack() as servers:

        def start(**changes: str | None) -> ApiServer:
            env = {**api_env, **changes}
            return servers.enter_context(
                run_api_server({name: value for name, value in env.items() if value is not None}, tmp_path)
            )

        yield start


@pytest.fixture
def api_server(start_api) -> ApiServer:
    """An API server on the test's bucket, Redis and model, accepting API_KEY."""
    return start_api()
