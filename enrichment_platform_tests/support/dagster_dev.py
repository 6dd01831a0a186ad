"""`dagster dev` on the real workspace (webserver, daemon, code server) for tests, and GraphQL calls to it."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster_graphql import DagsterGraphQLClient

from enrichment_platform.devstack.services import free_port

REPO = Path(__file__).resolve().parents[2]
LOCATION = {"repositoryLocationName": "enrichment_platform", "repositoryName": "__repository__"}


def wait_for(condition, timeout: float, what: str, log: Path, interval: float = 1.0):
    """Poll `condition()` until it returns something true; fail with the tail of dagster dev's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} within {timeout:.0f} s; dagster dev log:\n{log.read_text()[-4000:]}")


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
        wait_for(
            lambda: answers(f"http://127.0.0.1:{port}/server_info"), 120, "the webserver did not answer", log
        )
        yield DagsterDev(port=port, home=home, log=log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
