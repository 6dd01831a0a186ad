"""`dagster dev` on the real workspace: a run launched over GraphQL and the sensor's own runs succeed."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy.exc
from dagster_graphql import DagsterGraphQLClient

from enrichment_platform.devstack.services import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
T0 = 1721174400  # 2024-07-17


def wait_for(condition, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout:.0f} s; dagster dev log:\n{log.read_text()[-4000:]}")


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def dagster_dev(bucket, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    log = tmp_path / "dagster-dev.log"
    env = {**os.environ, "DAGSTER_HOME": str(home), "PARTITIONS_START_DATE": "2024-07-01"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/server_info"), 120, "the webserver did not answer", log)
        yield port, home, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_graphql_launched_run_and_sensor_runs_succeed(bucket, dagster_dev):
    port, home, log = dagster_dev
    bucket.put("job-postings-raw", f"{T0 + 5}.jsonl", b'{"company": "Acme", "title": "Chief Financial Officer"}\n')

    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    run_id = client.submit_job_execution(
        "enrich_postings_job",
        repository_location_name="enrichment_platform",
        repository_name="__repository__",
        tags={"dagster/partition": "2024-07-17"},
    )
    finished = {"SUCCESS", "FAILURE", "CANCELED"}
    status = wait_for(
        lambda: (s := client.get_run_status(run_id).value) in finished and s, 180, "the launched run did not end", log
    )
    assert status == "SUCCESS"
    assert bucket.get("job-postings-mod", f"{T0 + 5}.jsonl").startswith(b'{"company": "Acme"')

    # The sensor is on by default: its first tick sees the file and starts a run of its own.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        def sensor_run_status():
            try:
                runs = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": "raw_postings_sensor"}))
            except sqlalchemy.exc.OperationalError:
                return None  # the daemon is writing the SQLite storage right now: ask again
            return runs and runs[0].status.value in finished and runs[0].status.value

        assert wait_for(sensor_run_status, 180, "no sensor run ended", log) == "SUCCESS"
