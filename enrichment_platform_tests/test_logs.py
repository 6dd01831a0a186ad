"""ENRICHMENT_LOG_FORMAT=json: log records as JSON lines, with Dagster's run context where there is one, from
the model server as a real process (the push API: api/test_app.py; Dagster's runs: test_cli.py)."""

import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from enrichment_platform.logs import JsonFormatter, json_logs

REPO = Path(__file__).resolve().parents[1]


def record(message: str, **meta) -> logging.LogRecord:
    entry = logging.LogRecord("dagster", logging.WARNING, __file__, 1, message, None, None)
    if meta:
        entry.dagster_meta = meta
    return entry


def test_a_record_becomes_one_json_object_with_its_run_context_and_file():
    meta = {
        "run_id": "r-1",
        "job_name": "enrich_postings_job",
        "step_key": "raw_job_postings",
        "job_tags": {"dagster/partition": "2024-07-17"},
        "dagster_event": None,
        "orig_message": "raw_job_postings 2024-07-17: 1721174460.jsonl failed 3 times",
    }
    line = JsonFormatter().format(record("formatted by dagster", **meta))
    entry = orjson.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "dagster" and entry["time"].endswith("Z")
    assert (entry["run_id"], entry["job"], entry["step"], entry["partition"]) == (
        "r-1",
        "enrich_postings_job",
        "raw_job_postings",
        "2024-07-17",
    )
    assert entry["message"] == meta["orig_message"] and entry["file"] == "1721174460.jsonl"
    assert "run_id" not in orjson.loads(JsonFormatter().format(record("plain")))


def test_an_unknown_format_is_refused(monkeypatch):
    monkeypatch.setenv("ENRICHMENT_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="use json or text"):
        json_logs()


@pytest.mark.integration
def test_the_model_server_logs_json_lines(tmp_path):
    log = tmp_path / "model.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "enrichment_platform.seniority",
                "serve",
                "--port",
                "0",
                "--capacity",
                "0",
            ],
            cwd=REPO,
            env={**os.environ, "ENRICHMENT_LOG_FORMAT": "json"},
            stderr=output,
            stdout=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 60
        while b"serving on" not in log.read_bytes() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    entries = [orjson.loads(line) for line in log.read_text().splitlines()]
    assert any(re.match(r"seniority model sm-\w+ serving on 127\.0\.0\.1:\d+", e["message"]) for e in entries)
