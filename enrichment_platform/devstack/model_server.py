"""The seniority model server as a local process, and any gRPC service that is ready once its health check
says SERVING."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from enrichment_platform.devstack.processes import (
    LOCALHOST,
    LocalService,
    ManagedProcess,
    retry_on_taken_port,
    service_workdir,
    spawn,
    wait_until_ready,
)


def grpc_health_status(target: str, timeout: float = 1.0) -> str | None:
    """The overall grpc.health.v1 status at `target` ("SERVING", ...), or None when it does not answer."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError:
            return None
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


@dataclass
class GrpcService(LocalService):
    """A process serving gRPC plus grpc.health.v1 on 127.0.0.1."""

    target: str
    port: int
    process: ManagedProcess
    _workdir_to_remove: Path | None = field(default=None, repr=False)

    def stop(self) -> None:
        self.process.stop()
        if self._workdir_to_remove is not None:
            shutil.rmtree(self._workdir_to_remove, ignore_errors=True)


def start_grpc_service(
    command_for_port: Callable[[int], list[str]],
    *,
    name: str,
    port: int | None = None,
    workdir: str | Path | None = None,
    timeout: float = 60.0,
) -> GrpcService:
    """Run `command_for_port(port)` and wait until its grpc.health.v1 check reports SERVING."""
    directory, temporary = service_workdir(workdir, name)

    def start(chosen_port: int) -> GrpcService:
        target = f"{LOCALHOST}:{chosen_port}"
        process = spawn(
            name,
            command_for_port(chosen_port),
            directory / f"{name}-{chosen_port}.log",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            wait_until_ready(
                process,
                lambda: grpc_health_status(target, timeout=0.5) == "SERVING",
                timeout,
                f"could not start {name} on {target}",
            )
        except BaseException:
            process.stop()
            raise
        return GrpcService(
            target=target,
            port=chosen_port,
            process=process,
            _workdir_to_remove=directory if temporary else None,
        )

    # On failure a temporary log directory is kept: the error message points into it.
    return retry_on_taken_port(start, port)


def start_model_server(
    port: int | None = None,
    capacity: int = 0,
    workdir: str | Path | None = None,
    timeout: float = 60.0,
    request_log: Path | None = None,
) -> GrpcService:
    """Run `python -m enrichment_platform.seniority serve` and wait until its health check says SERVING."""

    def command(chosen_port: int) -> list[str]:
        extra = ["--request-log", str(request_log)] if request_log else []
        return [
            sys.executable,
            "-m",
            "enrichment_platform.seniority",
            "serve",
            "--port",
            str(chosen_port),
            "--capacity",
            str(capacity),
            *extra,
        ]

    return start_grpc_service(command, name="seniority-model", port=port, workdir=workdir, timeout=timeout)
