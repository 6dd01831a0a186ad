"""`make demo`'s program: a taken port fails fast; the stack comes up with a short banner, logs in files and
an env file that points other tools at it; the sensor materializes the sample dates; Ctrl-C leaves nothing."""

import argparse
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import alembic.util.exc
import boto3
import dagster as dg
import psutil
import psycopg
import pytest
import requests
import sqlalchemy.exc

from enrichment_platform.devstack.dagster_stack import DagsterStack
from enrichment_platform.devstack.demo_platform import DEMO_API_KEY, banner
from enrichment_platform.devstack.demo_workdir import DemoWorkdir, WorkdirTakenError
from enrichment_platform.devstack.postgres_install import PrivateInstall
from enrichment_platform.devstack.postgres_server import PostgresService, connect_or_none
from enrichment_platform.devstack.processes import LOCALHOST, free_port, port_answers

REPO = Path(__file__).resolve().parents[2]
# Without progress (a new run, a run ending) for this long, the demo is stuck rather than slow.
STALL_SECONDS = 240
SERVICE_LOGS = (
    "dagster-code-server",
    "dagster-webserver",
    "dagster-daemon",
    "moto_server",
    "redis-",
    "seniority-model-",
    "postgres-",
    "api",
)


def demo_command(port: int, workdir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "enrichment_platform.devstack.demo",
        "--port",
        str(port),
        "--workdir",
        str(workdir),
        *extra,
    ]


def env_without_platform_settings() -> dict[str, str]:
    names = ("AWS_ENDPOINT_URL", "REDIS_URL", "DAGSTER_HOME", "RAW_POSTINGS_URI", "AUGMENTED_POSTINGS_URI")
    names += (
        "QUARANTINE_URI",
        "STAGING_URI",
        "ENRICHMENT_LOCAL_STAGE_DIR",
        "WAREHOUSE_URL",
        "WAREHOUSE_SCHEMA",
    )
    return {name: value for name, value in os.environ.items() if name not in names}


def test_a_taken_port_fails_fast_naming_the_port_and_how_to_choose_another(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            demo_command(port, tmp_path / "demo"), cwd=REPO, capture_output=True, text=True, timeout=120
        )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"port {port} is taken" in result.stdout
    assert "make demo PORT=" in result.stdout and "--port" in result.stdout
    assert result.stderr == ""
    assert not (tmp_path / "demo").exists()  # nothing started, nothing written


def test_env_file_sets_every_variable_for_a_shell_that_sources_it(tmp_path):
    workdir = DemoWorkdir(tmp_path / "demo")
    workdir.prepare()
    settings = {"DAGSTER_HOME": str(tmp_path / "with space"), "RAW_POSTINGS_URI": "s3://b/it's raw/"}
    env_file = workdir.write_env_file(settings)
    script = f'source {shlex.quote(str(env_file))} && printf \'%s\\n\' "$DAGSTER_HOME" "$RAW_POSTINGS_URI"'
    shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert shell.stdout.splitlines() == list(settings.values())


def test_clean_up_removes_what_the_demo_made_and_nothing_else(tmp_path):
    root = tmp_path / "demo"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    workdir = DemoWorkdir(root)
    workdir.prepare()
    (workdir.stage / "enrichment-stage" / "run").mkdir(parents=True)
    workdir.write_env_file({"REDIS_URL": "redis://127.0.0.1:1/0"})
    workdir.remove()
    assert sorted(path.name for path in root.iterdir()) == ["notes.txt"]
    (root / "notes.txt").unlink()
    workdir.prepare()
    workdir.remove()
    assert not root.exists()  # a folder the demo alone filled goes too


def test_a_folder_with_entries_the_demo_did_not_make_is_refused(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "theirs.log").write_text("not the demo's")
    with pytest.raises(WorkdirTakenError, match="--workdir"):
        DemoWorkdir(tmp_path).prepare()
    assert (tmp_path / "logs" / "theirs.log").exists()


def test_banner_says_what_ctrl_c_keeps_and_how_to_query_the_warehouse(tmp_path):
    workdir = DemoWorkdir(tmp_path / "demo")
    dagster = DagsterStack(ui_url="http://127.0.0.1:3001", processes=[])
    warehouse = PostgresService(
        host="127.0.0.1", port=5432, user="postgres", password="", db_name="enrichment_demo", mode="external"
    )
    settings = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "RAW_POSTINGS_URI": "s3://rl-data/job-postings-raw/",
        "REDIS_URL": "redis://127.0.0.1:6000/0",
        "SENIORITY_MODEL_TARGET": "127.0.0.1:50051",
        "WAREHOUSE_URL": warehouse.libpq_url,
        "WAREHOUSE_SCHEMA": "enrichment",
    }
    arguments = dict(files_per_date=6, drop_every=60.0)
    removed = banner(argparse.Namespace(keep=False, **arguments), workdir, dagster, warehouse, settings)
    kept = banner(argparse.Namespace(keep=True, **arguments), workdir, dagster, warehouse, settings)
    for text in (removed, kept):
        assert "http://127.0.0.1:3001" in text and "http://127.0.0.1:5000" in text
        assert f"source {workdir.env_file}" in text and str(workdir.logs) in text
        assert "postgresql://postgres@127.0.0.1:5432/enrichment_demo   schema enrichment" in text
        assert "psql 'postgresql://postgres@127.0.0.1:5432/enrichment_demo'" in text or "no psql" in text
    assert f"removes {workdir.root}" in removed and "KEEP=1" in removed
    assert "drops database enrichment_demo" in removed
    assert f"keeps the run history ({workdir.dagster_home})" in kept and "(database enrichment_demo)" in kept


def test_banner_hides_the_warehouse_password_and_names_the_private_server(tmp_path):
    workdir = DemoWorkdir(tmp_path / "demo")
    dagster = DagsterStack(ui_url="http://127.0.0.1:3001", processes=[])
    files = workdir.postgres / "postgres-1"
    warehouse = PostgresService(
        host="127.0.0.1",
        port=5433,
        user="demo",
        password="s3cret",
        db_name="enrichment_demo",
        mode="spawned",
        install=PrivateInstall(bin_dir=files / "bin", root=files, run_as=None),
    )
    settings = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "RAW_POSTINGS_URI": "s3://rl-data/job-postings-raw/",
        "REDIS_URL": "redis://127.0.0.1:6000/0",
        "SENIORITY_MODEL_TARGET": "127.0.0.1:50051",
        "WAREHOUSE_SCHEMA": "enrichment",
    }
    arguments = argparse.Namespace(keep=False, files_per_date=6, drop_every=0.0)
    text = banner(arguments, workdir, dagster, warehouse, settings)
    assert "s3cret" not in text and "postgresql://demo:***@127.0.0.1:5433/enrichment_demo" in text
    assert f"private server from pgserver's binaries, files in {files}/" in text
    assert '"$WAREHOUSE_URL"' in text or "no psql" in text  # the password is in the env file
    assert "drops database" not in text  # its files go with the folder


def sensor_runs(home: Path, ui_port: int) -> dict[str, tuple[str, str]] | None:
    """Run id → (partition, status) of the sensor's runs once the UI answers (its start creates the storage);
    None while the storage is busy."""
    if not (home / "history").exists() or not port_answers(ui_port):
        return {}
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": "raw_postings_sensor"}))
    except (sqlalchemy.exc.OperationalError, alembic.util.exc.CommandError):
        return None  # SQLite is being migrated or written by the daemon right now: ask again next time
    return {run.run_id: (run.tags["dagster/partition"], run.status.value) for run in runs}


def env_file_settings(path: Path) -> dict[str, str]:
    shell = subprocess.run(
        ["bash", "-c", f"source {shlex.quote(str(path))} && env -0"], capture_output=True, check=True
    )
    return dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if "=" in item)


def push_as_the_banner_shows(terminal: str, workdir: DemoWorkdir) -> tuple[bytes, bytes, int]:
    """The banner's curl session, in Python: post the sample part, close, wait for done; the output, the
    sample and the quarantined count."""
    url = re.search(r"push API +(http://\S+)", terminal).group(1)
    headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    sample = (workdir.tmp / "sample-part.jsonl").read_bytes()
    request = f"{url}/v1/requests/demo-1"
    assert requests.post(f"{request}/parts", data=sample, headers=headers, timeout=60).status_code == 202
    assert requests.post(f"{request}/close", headers=headers, timeout=60).status_code == 202
    started = time.monotonic()
    while (status := requests.get(request, headers=headers, timeout=60).json())["status"] != "done":
        assert status["status"] != "failed", status
        daemon = (workdir.logs / "dagster-daemon.log").read_text(errors="replace").splitlines()
        assert time.monotonic() - started < STALL_SECONDS, (status, daemon[-30:])
        time.sleep(1)
    output = requests.get(f"{request}/output", headers=headers, timeout=60).content
    return output, sample, status["quarantined"]


@pytest.mark.integration
@pytest.mark.slow
def test_demo_materializes_three_dates_from_the_sensor_and_leaves_nothing_after_ctrl_c(tmp_path):
    ui_port = free_port()
    workdir = DemoWorkdir(tmp_path / "demo")
    command = demo_command(
        ui_port, workdir.root, "--files-per-date", "2", "--lines-per-file", "300", "--drop-every", "0"
    )
    terminal = tmp_path / "terminal.log"
    with terminal.open("wb") as output:
        demo = subprocess.Popen(
            command,
            cwd=REPO,
            # A private PostgreSQL: a demo database in the machine's server may be a developer's kept one.
            env={**env_without_platform_settings(), "ENRICHMENT_PG_MODE": "spawn"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children: list[psutil.Process] = []
    try:
        seen: dict[str, tuple[str, str]] = {}
        last_progress = time.monotonic()
        while len({partition for partition, status in seen.values() if status == "SUCCESS"}) < 3:
            assert demo.poll() is None, terminal.read_text()
            assert time.monotonic() - last_progress < STALL_SECONDS, f"no run progressed: {seen}"
            time.sleep(2)
            runs = sensor_runs(workdir.dagster_home, ui_port)
            if runs is not None and runs != seen:
                seen, last_progress = runs, time.monotonic()
        children = psutil.Process(demo.pid).children(recursive=True)
        # Redis, S3, the model server, PostgreSQL, the code server, the webserver, the daemon, the API
        assert len(children) >= 8
        pushed_output = push_as_the_banner_shows(terminal.read_text(), workdir)

        settings = env_file_settings(workdir.env_file)
        assert settings["DAGSTER_HOME"] == str(workdir.dagster_home)
        s3 = boto3.client(
            "s3",
            endpoint_url=settings["AWS_ENDPOINT_URL"],
            aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
            region_name=settings["AWS_DEFAULT_REGION"],
        )
        listed = s3.list_objects_v2(Bucket="rl-data", Prefix="job-postings-mod/")
        assert len(listed["Contents"]) == 6
        warehouse_url = settings["WAREHOUSE_URL"]
        with psycopg.connect(warehouse_url) as warehouse:
            assert warehouse.execute("select current_database()").fetchone() == ("enrichment_demo",)
        assert settings["WAREHOUSE_SCHEMA"] == "enrichment"
        asset_list = subprocess.run(
            [
                str(Path(sys.executable).with_name("dagster")),
                "asset",
                "list",
                "-m",
                "enrichment_platform.definitions",
            ],
            env={**os.environ, **settings},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "seniority_augmented_postings" in asset_list.stdout, asset_list.stderr
        logs = sorted(path.name for path in workdir.logs.iterdir())
        for service in SERVICE_LOGS:
            assert any(name.startswith(service) for name in logs), logs
        runs_staged_in_the_demo_folder = (workdir.stage / "enrichment-stage").is_dir()
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=120)

    output = terminal.read_text()
    assert demo.returncode == 0, output
    assert f"Dagster UI    http://127.0.0.1:{ui_port}" in output
    assert f"source {workdir.env_file}" in output
    assert len(output.splitlines()) < 32  # the banner stays on screen: the services' logs are in files
    sample_lines = [line for line in (pushed_output[1]).splitlines() if line.strip()]
    assert len(pushed_output[0].splitlines()) + pushed_output[2] == len(sample_lines)
    assert "warning" not in output.lower()
    assert runs_staged_in_the_demo_folder  # which Ctrl-C removed with the rest
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [process.cmdline() for process in alive]
    assert not workdir.root.exists()
    assert connect_or_none(warehouse_url) is None
