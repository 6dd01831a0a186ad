"""`dagster dev` on the real workspace (webserver, daemon, code server) for tests, GraphQL calls to it, and
waits that fail when the instance stops advancing rather than at a fixed deadline."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dagster_graphql import DagsterGraphQLClient

from enrichment_platform.devstack.processes import free_port

REPO = Path(__file__).resolve().parents[2]
LOCATION = {"repositoryLocationName": "enrichment_platform", "repositoryName": "__repository__"}
# How long a wait lets nothing advance (no status of a run, step or backfill changes) before it fails.
STALL_SECONDS = 300.0

# Every run with its steps, and every backfill: what changes while an instance does work.
PROGRESS_QUERY = """query {
  runsOrError { ... on Runs { results { runId status stepStats { stepKey status } } } }
  partitionBackfillsOrError { ... on PartitionBackfills { results { id status } } }
}"""

T = TypeVar("T")


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def wait_while_advancing(
    poll: Callable[[], tuple[T, Hashable]],
    what: str,
    log: Path,
    stall: float = STALL_SECONDS,
    interval: float = 1.0,
) -> T:
    """Call `poll()`, which returns (result, progress), until `result` is true and return it; fail once
    `progress` has stayed the same for `stall` seconds, however long the whole wait took."""
    seen, advanced_at = object(), time.monotonic()
    while True:
        result, progress = poll()
        if result:
            return result
        if progress != seen:
            seen, advanced_at = progress, time.monotonic()
        elif time.monotonic() - advanced_at > stall:
            raise AssertionError(
                f"{what}, and nothing advanced for {stall:.0f} s (last state: {progress!r:.2000}); "
                f"dagster dev log:\n{log_tail(log)}"
            )
        time.sleep(interval)


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
        return True
    except OSError:
        return False


@dataclass
class DagsterDev:
    """A running `dagster dev`: its port, $DAGSTER_HOME and log."""

    port: int
    home: Path
    log: Path

    @property
    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient("127.0.0.1", port_number=self.port)

    def graphql(self, query: str, **variables) -> dict:
        """The `data` of a GraphQL query; GraphQL errors fail with their messages."""
        return self.client._execute(query, variables)  # noqa: SLF001  (the client's own transport and errors)

    def progress(self) -> tuple:
        """The status of every run, of each of its steps and of every backfill: changes as work advances."""
        data = self.graphql(PROGRESS_QUERY)
        runs = tuple(
            sorted(
                (
                    run["runId"],
                    run["status"],
                    tuple(sorted((s["stepKey"], s["status"]) for s in run["stepStats"])),
                )
                for run in data["runsOrError"].get("results", [])
            )
        )
        backfills = tuple(
            sorted((b["id"], b["status"]) for b in data["partitionBackfillsOrError"].get("results", []))
        )
        return runs, backfills

    def wait_for(
        self, condition: Callable[[], T], what: str, interval: float = 1.0, stall: float = STALL_SECONDS
    ) -> T:
        """Poll `condition()` until it returns something true; fail when no run, step or backfill of the
        instance has changed status for `stall` seconds (no fixed deadline: a busy machine is only slower)."""
        return wait_while_advancing(
            lambda: (condition(), self.progress()), what, self.log, stall=stall, interval=interval
        )


def wait_for_webserver(process: subprocess.Popen, port: int, log: Path, stall: float = STALL_SECONDS) -> None:
    """Wait until the webserver answers; fail at once if `dagster dev` exits, or once its log has not grown
    for `stall` seconds."""

    def poll() -> tuple[bool, int]:
        if process.poll() is not None:
            raise AssertionError(
                f"dagster dev exited with code {process.returncode}; its log:\n{log_tail(log)}"
            )
        return answers(f"http://127.0.0.1:{port}/server_info"), log.stat().st_size

    wait_while_advancing(poll, "the webserver did not answer", log, stall=stall)


@contextmanager
def dagster_dev(
    tmp_path: Path, env: dict[str, str], instance_config: Path = REPO / "dagster.yaml"
) -> Iterator[DagsterDev]:
    """Start `dagster dev` with `instance_config` as its dagster.yaml and `env` on top of this process's
    environment; stop its whole process group afterwards."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(instance_config, home / "dagster.yaml")
    port = free_port()
    log = tmp_path / "dagster-dev.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster",
                "dev",
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=REPO,
            env={**os.environ, "DAGSTER_HOME": str(home), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_webserver(process, port, log)
        yield DagsterDev(port=port, home=home, log=log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
