"""Dagster for the demo: its instance folder, then a code server, the webserver (the UI) and the daemon, each
a process of its own with a log file, as a deployment runs them.

`dagster dev` would start the same three, but it is superseded (it warns so on every start), prints every
service's log to the terminal and warns about the checkout's dagster.yaml when DAGSTER_HOME is elsewhere.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from enrichment_platform.devstack.processes import (
    LOCALHOST,
    LocalService,
    ManagedProcess,
    PortTakenError,
    ServiceStartError,
    free_port,
    http_answers,
    port_answers,
    port_free,
    spawn,
    wait_until_ready,
)

REPO = Path(__file__).resolve().parents[2]
DEFINITIONS_MODULE = "enrichment_platform.definitions"
LOCATION_NAME = "enrichment_platform"

MATERIALIZE_ALL = f"asset materialize -m {DEFINITIONS_MODULE} --select group:job_postings"


def materialize_command(partition: str, run_config: dict | None = None) -> list[str]:
    """`dagster asset materialize` of every asset of the definitions for one partition, as a subprocess runs
    it (with this interpreter); `run_config` goes in as --config-json."""
    command = [sys.executable, "-m", "dagster", *MATERIALIZE_ALL.split(), "--partition", partition]
    return command + (["--config-json", json.dumps(run_config)] if run_config else [])


class UIPortTakenError(ServiceStartError):
    """The Dagster UI's port is in use by another program."""


def ui_port_taken_message(port: int) -> str:
    """What to tell a user whose UI port is taken: which port, and how to choose another."""
    other = next((candidate for candidate in range(port + 1, port + 100) if port_free(candidate)), None)
    other = other or free_port()
    return (
        f"port {port} is taken: another program listens on {LOCALHOST}:{port}, so the Dagster UI cannot "
        f"start there.\nStop that program, or choose another port: `make demo PORT={other}` "
        f"(or `--port {other}`)."
    )


def write_instance(
    dagster_home: Path, code_server_port: int, instance_config: Path = REPO / "dagster.yaml"
) -> Path:
    """Put `instance_config` (the checkout's dagster.yaml) in DAGSTER_HOME, and a workspace that loads the
    code server; returns the workspace file."""
    shutil.copy(instance_config, dagster_home / "dagster.yaml")
    workspace = dagster_home / "workspace.yaml"
    location = {"host": LOCALHOST, "port": code_server_port, "location_name": LOCATION_NAME}
    workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": location}]}), encoding="utf-8")
    return workspace


@dataclass
class DagsterStack(LocalService):
    """The running code server, webserver and daemon."""

    ui_url: str
    processes: list[ManagedProcess]

    def stopped(self) -> ManagedProcess | None:
        """The first process that is no longer running, if any."""
        return next((process for process in self.processes if not process.running()), None)

    def stop(self) -> None:
        # All at once: each takes seconds to shut down, and runs in flight end with the code server anyway.
        stopping = [threading.Thread(target=process.stop, args=(20.0,)) for process in self.processes]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()


def start_dagster(
    ui_port: int,
    dagster_home: Path,
    logs: Path,
    env: dict[str, str],
    timeout: float = 180.0,
    before_daemon: Callable[[str], None] | None = None,
    instance_config: Path = REPO / "dagster.yaml",
) -> DagsterStack:
    """Start the code server, the webserver on 127.0.0.1:`ui_port` and the daemon; return once the UI answers.

    `env` is every process' environment (DAGSTER_HOME and the platform's settings); `before_daemon(ui_url)`,
    when given, runs once the UI answers and before the daemon ticks any sensor. Raises UIPortTakenError when
    the UI's port is in use, before anything starts. `instance_config` is the dagster.yaml the instance runs
    with.
    """
    if not port_free(ui_port):
        raise UIPortTakenError(ui_port_taken_message(ui_port))
    code_server_port = free_port()
    workspace = write_instance(dagster_home, code_server_port, instance_config)
    python = sys.executable
    commands = {
        "dagster-code-server": [
            python,
            "-m",
            "dagster",
            "code-server",
            "start",
            "-m",
            DEFINITIONS_MODULE,
            "--location-name",
            LOCATION_NAME,
            "-h",
            LOCALHOST,
            "-p",
            str(code_server_port),
            "-d",
            str(REPO),
        ],
        "dagster-webserver": [
            python,
            "-m",
            "dagster_webserver",
            "-h",
            LOCALHOST,
            "-p",
            str(ui_port),
            "-w",
            str(workspace),
        ],
        "dagster-daemon": [python, "-m", "dagster._daemon", "run", "-w", str(workspace)],
    }
    processes: list[ManagedProcess] = []
    stack = DagsterStack(ui_url=f"http://{LOCALHOST}:{ui_port}", processes=processes)

    def start(name: str) -> ManagedProcess:
        # Dagster's processes shut down cleanly on SIGINT; their own cwd keeps the checkout's dagster.yaml
        # from being taken for the instance's.
        process = spawn(
            name, commands[name], logs / f"{name}.log", env=env, cwd=dagster_home, stop_signal=signal.SIGINT
        )
        processes.append(process)
        return process

    try:
        code_server = start("dagster-code-server")
        wait_until_ready(
            code_server, lambda: port_answers(code_server_port), timeout, "could not start the code server"
        )
        webserver = start("dagster-webserver")
        try:
            wait_until_ready(
                webserver,
                lambda: http_answers(f"{stack.ui_url}/server_info"),
                timeout,
                f"could not start the Dagster UI on port {ui_port}",
            )
        except PortTakenError as error:
            raise UIPortTakenError(ui_port_taken_message(ui_port)) from error
        if before_daemon is not None:
            before_daemon(stack.ui_url)
        start("dagster-daemon")
    except BaseException:
        stack.stop()
        raise
    return stack
