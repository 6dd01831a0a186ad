"""A local S3 API endpoint (moto), in this process or in one of its own, and the settings that point boto3
at it."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from enrichment_platform.devstack.processes import (
    LOCALHOST,
    LocalService,
    ManagedProcess,
    http_answers,
    service_workdir,
    spawn,
    wait_until_ready,
)


def silence_werkzeug() -> None:
    """Moto's server logs every request through werkzeug; keep errors only."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@dataclass
class S3Service(LocalService):
    """An in-process moto S3 API endpoint (a thread); its state lives in this process' memory."""

    endpoint_url: str
    port: int
    server: object = field(repr=False)

    @property
    def url(self) -> str:
        return self.endpoint_url

    def stop(self) -> None:
        self.server.stop()


def start_s3(workdir: str | Path | None = None) -> S3Service:
    """Start moto's ThreadedMotoServer on a free 127.0.0.1 port; `workdir` is unused (no files)."""
    from moto.server import ThreadedMotoServer

    silence_werkzeug()
    # Port 0 lets the OS pick while binding, so no other process can take the port in between.
    server = ThreadedMotoServer(ip_address=LOCALHOST, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return S3Service(endpoint_url=f"http://{host}:{port}", port=port, server=server)


def local_aws_env(endpoint_url: str) -> dict[str, str]:
    """Environment that points boto3 at a local S3 API endpoint with dummy credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@contextmanager
def local_aws_environ(endpoint_url: str) -> Iterator[None]:
    """Point boto3 in this process at a local S3 API endpoint until the block ends, then restore the
    settings it had (a test session's own endpoint, say)."""
    settings = local_aws_env(endpoint_url)
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ensure_bucket(endpoint_url: str | None, bucket: str) -> None:
    """Create `bucket` unless it exists; endpoint None means boto3's default (AWS_ENDPOINT_URL or AWS)."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("s3", endpoint_url=endpoint_url)
    try:
        client.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    region = client.meta.region_name
    if region and region != "us-east-1":
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    else:
        client.create_bucket(Bucket=bucket)


@dataclass
class MotoProcessService(LocalService):
    """A local S3 API endpoint (moto) as a separate process, for the demo and the benchmark (Dagster runs in
    other processes)."""

    endpoint_url: str
    port: int
    process: ManagedProcess
    _workdir_to_remove: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.endpoint_url

    def stop(self) -> None:
        self.process.stop()
        if self._workdir_to_remove is not None:
            shutil.rmtree(self._workdir_to_remove, ignore_errors=True)


def start_moto_server_process(
    port: int,
    workdir: str | Path | None = None,
    timeout: float = 30.0,
    all_services: bool = False,
    latency_ms: int = 0,
) -> MotoProcessService:
    """Run a local S3 API endpoint on 127.0.0.1:`port` in a process of its own, logging to `workdir`, and wait
    until it answers: moto's S3 backend served with keep-alive (devstack/s3_endpoint.py; each answer delayed
    by `latency_ms`), or with `all_services` the `moto_server` command (every AWS service moto has, one
    connection per request)."""
    if latency_ms and all_services:
        raise ValueError("latency_ms needs the S3 endpoint (all_services=False): moto_server has no delay")
    directory, temporary = service_workdir(workdir, "moto")
    if all_services:
        script = Path(sys.executable).with_name("moto_server")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
        command += ["-H", LOCALHOST, "-p", str(port)]
    else:
        command = [
            sys.executable,
            "-m",
            "enrichment_platform.devstack.s3_endpoint",
            "--host",
            LOCALHOST,
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
        ]
    process = spawn(
        "moto_server", command, directory / "moto_server.log", env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    endpoint_url = f"http://{LOCALHOST}:{port}"
    try:
        wait_until_ready(
            process,
            lambda: http_answers(endpoint_url + "/moto-api/"),
            timeout,
            f"could not start moto_server on port {port}",
        )
    except BaseException:
        process.stop()
        raise
    return MotoProcessService(
        endpoint_url=endpoint_url,
        port=port,
        process=process,
        _workdir_to_remove=directory if temporary else None,
    )
