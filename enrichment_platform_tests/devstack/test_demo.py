"""`make demo`'s program: the stack comes up, the sensor materializes the sample dates, Ctrl-C stops it all."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import alembic.util.exc
import dagster as dg
import psutil
import pytest
import sqlalchemy.exc

from enrichment_platform.devstack.services import free_port, port_answers

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def successful_sensor_runs(home: Path, ui_port: int) -> set[str]:
    # Open the instance only once `dagster dev` answers: before that it may still be creating its storage.
    if not (home / "history").exists() or not port_answers(ui_port):
        return set()
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": "raw_postings_sensor"}))
    except (sqlalchemy.exc.OperationalError, alembic.util.exc.CommandError):
        return set()  # SQLite is being migrated or written by the daemon right now: ask again next time
    return {run.tags["dagster/partition"] for run in runs if run.status == dg.DagsterRunStatus.SUCCESS}


def test_demo_materializes_three_dates_from_the_sensor_and_stops_on_ctrl_c(tmp_path, clean_redis):
    ui_port = free_port()
    command = [
        sys.executable,
        "-m",
        "enrichment_platform.devstack.demo",
        "--port",
        str(ui_port),
        "--workdir",
        str(tmp_path),
        "--files-per-date",
        "2",
        "--lines-per-file",
        "300",
        "--drop-every",
        "0",
    ]
    env = {**os.environ, "REDIS_URL": clean_redis}
    for name in (
        "AWS_ENDPOINT_URL",
        "RAW_POSTINGS_URI",
        "AUGMENTED_POSTINGS_URI",
        "QUARANTINE_URI",
        "STAGING_URI",
    ):
        env.pop(name, None)
    log = tmp_path / "demo.log"
    with log.open("wb") as output:
        demo = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 240
        while (
            len(successful_sensor_runs(tmp_path / "dagster_home", ui_port)) < 3
            and time.monotonic() < deadline
        ):
            assert demo.poll() is None, log.read_text()[-4000:]
            time.sleep(2)
        assert len(successful_sensor_runs(tmp_path / "dagster_home", ui_port)) == 3, log.read_text()[-4000:]
        children = psutil.Process(demo.pid).children(recursive=True)
        assert len(children) >= 3  # moto_server, the model server, dagster dev and its processes
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=60)
    assert "local stack is up" in log.read_text()
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [process.cmdline() for process in alive]
