"""The image's HEALTHCHECK: probes the service the container runs, read from its command line.

`python healthcheck.py` reads the command of PID 1 (after tini's `--`); `python healthcheck.py COMMAND...`
probes the service COMMAND would start. Exits 0 when it answers, 1 with the reason otherwise; a run or a
one-off command has nothing to probe and is healthy while its process lives.
"""

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

TIMEOUT_SECONDS = 5


def service_command() -> list[str]:
    """The command to probe: the arguments, else PID 1's, without tini and with program names bare."""
    argv = sys.argv[1:] or Path("/proc/1/cmdline").read_bytes().decode().split("\0")[:-1]
    if argv and Path(argv[0]).name == "tini":
        argv = argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]
    return [Path(argv[0]).name, *argv[1:]] if argv else []


def option(arguments: list[str], names: tuple[str, ...], default: str) -> str:
    """The value of `--name VALUE` or `--name=VALUE` among `arguments`."""
    for index, argument in enumerate(arguments):
        for name in names:
            if argument == name and index + 1 < len(arguments):
                return arguments[index + 1]
            if argument.startswith(name + "="):
                return argument.split("=", 1)[1]
    return default


def address(arguments: list[str], host_names: tuple[str, ...], default_port: int) -> tuple[str, str]:
    """Where to reach the service: its bound host (loopback when it binds every address) and port."""
    host = option(arguments, host_names, "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return host, option(arguments, ("--port", "-p"), str(default_port))


def http_get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS):
        pass


def run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS * 2)


def grpc_serving(host: str, port: str) -> None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"{host}:{port}") as channel:
        request = health_pb2.HealthCheckRequest()
        status = health_pb2_grpc.HealthStub(channel).Check(request, timeout=TIMEOUT_SECONDS).status
    if status != health_pb2.HealthCheckResponse.SERVING:
        raise RuntimeError(
            f"the model server reports {health_pb2.HealthCheckResponse.ServingStatus.Name(status)}"
        )


def probe(command: list[str]) -> None:
    """Raise unless the service started by `command` answers."""
    match command:
        case ["enrichment-platform", "api", *arguments]:
            host, port = address(arguments, ("--host",), 8000)
            http_get(f"http://{host}:{port}/healthz")
        case ["dagster-webserver", *arguments]:
            host, port = address(arguments, ("--host", "-h"), 3000)
            prefix = option(arguments, ("--path-prefix", "-l"), "")
            http_get(f"http://{host}:{port}{prefix}/server_info")
        case ["dagster", "api", "grpc", *arguments]:
            host, port = address(arguments, ("--host", "-h"), 4000)
            run(["dagster", "api", "grpc-health-check", "--host", host, "--port", port])
        case ["dagster-daemon", "run", *_]:
            run(["dagster-daemon", "liveness-check"])
        case ["seniority-model", "serve", *arguments]:
            host, port = address(arguments, ("--host",), 50051)
            if "--tls-cert" in arguments or any(a.startswith("--tls-cert=") for a in arguments):
                socket.create_connection((host, int(port)), timeout=TIMEOUT_SECONDS).close()
            else:
                grpc_serving(host, port)


def main() -> None:
    command = service_command()
    try:
        probe(command)
    except Exception as error:
        sys.exit(f"unhealthy: {' '.join(command)}: {error}")


if __name__ == "__main__":
    main()
