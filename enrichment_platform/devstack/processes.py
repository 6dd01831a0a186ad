"""Supervising the local stack's processes: free ports, spawning into their own session with a log file,
waiting until a service answers, and the base of every started service (`.stop()`, a context manager).
"""

from __future__ import annotations

import logging
import os
import pwd
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"

StartedService = TypeVar("StartedService")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


def port_answers(port: int, host: str = LOCALHOST, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(port: int) -> bool:
    """True when this process could listen on 127.0.0.1:`port` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOCALHOST, port))
        except OSError:
            return False
    return True


def http_answers(url: str) -> bool:
    """True when an HTTP server answers at `url`, whatever the status."""
    try:
        urllib.request.urlopen(url, timeout=1).close()
        return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is up
    except OSError:
        return False


class ServiceStartError(RuntimeError):
    """A local service could not be started; the message carries the tail of its log."""


class PortTakenError(ServiceStartError):
    """The port picked by free_port() was taken before the process bound it."""


def log_tail(path: Path, lines: int = 25) -> str:
    """The last `lines` lines of a process' log file, or a note that it has none."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    tail = text.strip().splitlines()[-lines:]
    return "\n".join(tail) if tail else "(log is empty)"


@dataclass
class ManagedProcess:
    """A child process in its own session, logging to a file; stop() ends its whole process group."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def failure(self, what: str) -> str:
        """An error message for a process that did not come up, with the tail of its log."""
        return f"{what}; last lines of {self.log_path}:\n{log_tail(self.log_path)}"

    def stop(self, timeout: float = 10.0) -> None:
        """Send the stop signal, wait up to `timeout` seconds, then kill the process group."""
        if self.popen.poll() is None:
            self._signal_group(self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s (pid %s) ignored signal %s for %.0fs; killing it",
                    self.name,
                    self.pid,
                    self.stop_signal,
                    timeout,
                )
                self._signal_group(signal.SIGKILL)
                self.popen.wait()
        # Workers the leader forked may outlive it; they share its process group.
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def spawn(
    name: str,
    command: list[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    run_as: pwd.struct_passwd | None = None,
    stop_signal: int = signal.SIGTERM,
) -> ManagedProcess:
    """Start `command` in a new session with stdout and stderr appended to `log_path`."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log_file:
        # A new session keeps a terminal's Ctrl-C away from the child and lets stop() end its group.
        popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **run_as_args(run_as),
        )
    log.debug("started %s (pid %s): %s", name, popen.pid, " ".join(command))
    return ManagedProcess(name=name, popen=popen, log_path=log_path, stop_signal=stop_signal)


def run_as_args(run_as: pwd.struct_passwd | None) -> dict:
    """The subprocess keyword arguments that run a child as `run_as` (none: as ourselves)."""
    if run_as is None:
        return {}
    return {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []}


def wait_until_ready(process: ManagedProcess, ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `ready()` until it is true; raise with the log tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        if not process.running():
            message = process.failure(f"{what}: process exited with code {process.popen.returncode}")
            if "address already in use" in message.lower():
                raise PortTakenError(message)
            raise ServiceStartError(message)
        if time.monotonic() > deadline:
            process.stop()
            raise ServiceStartError(process.failure(f"{what}: not ready after {timeout:.0f}s"))
        time.sleep(0.05)


def retry_on_taken_port(
    start: Callable[[int], StartedService], port: int | None, attempts: int = 3
) -> StartedService:
    """Call start(port); when the port we picked is stolen meanwhile, retry on another free port."""
    for attempt in range(attempts):
        try:
            return start(port if port is not None else free_port())
        except PortTakenError:
            if port is not None or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def service_workdir(workdir: str | Path | None, name: str) -> tuple[Path, bool]:
    """The directory for a service's logs and whether it is temporary (made here, removed on stop)."""
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix=f"enrichment-{name}-")), True
    path = Path(workdir)
    path.mkdir(parents=True, exist_ok=True)
    return path, False


class LocalService:
    """A started local service: stop() ends it, and `with` stops it on the way out."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
