"""`enrichment-platform api` as a process of the local stack: the demo's push API, the load bench's, the
tests'."""

import sys
from pathlib import Path

from enrichment_platform.devstack.processes import (
    LOCALHOST,
    ManagedProcess,
    free_port,
    http_answers,
    spawn,
    wait_until_ready,
)


def start_api_process(
    env: dict[str, str], log_path: Path, port: int | None = None, timeout: float = 120.0
) -> tuple[ManagedProcess, str]:
    """Start the API on 127.0.0.1:`port` (a free one by default) with `env`, logging to `log_path`; return
    the process and its base URL once /healthz answers (the process is stopped if it never does)."""
    port = port or free_port()
    url = f"http://{LOCALHOST}:{port}"
    command = [
        sys.executable,
        "-m",
        "enrichment_platform.cli",
        "api",
        "--host",
        LOCALHOST,
        "--port",
        str(port),
    ]
    process = spawn("push API", command, log_path, env=env)
    try:
        wait_until_ready(
            process, lambda: http_answers(f"{url}/healthz"), timeout, "could not start the push API"
        )
    except BaseException:
        process.stop()
        raise
    return process, url
