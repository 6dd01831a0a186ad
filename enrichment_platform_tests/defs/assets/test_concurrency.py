"""Concurrent partition runs over overlapping data ask the model for each new pair exactly once."""

import os
import subprocess
from pathlib import Path

import orjson
import pytest

from enrichment_platform.devstack.dagster_stack import materialize_command
from enrichment_platform_tests.support.scripted_model import ScriptedModel

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
DAYS = {
    "2024-07-14": 1720915200,
    "2024-07-15": 1721001600,
    "2024-07-16": 1721088000,
    "2024-07-17": 1721174400,
}


def test_four_concurrent_partition_runs_request_each_new_pair_once(bucket, serve, tmp_path):
    model = ScriptedModel(delay=0.05)
    target = serve(model)
    for index, midnight in enumerate(DAYS.values()):
        lines = [
            orjson.dumps({"company": "Acme", "title": f"Engineer {i}" if i % 2 else f"ENGINEER  {i}"})
            for i in range(index * 100, index * 100 + 400)
        ]
        bucket.put("job-postings-raw", f"{midnight + 60}.jsonl", b"\n".join(lines) + b"\n")
    env = {**os.environ, "SENIORITY_MODEL_TARGET": target, "SENIORITY_MODEL_VERSION": "v-test"}
    runs = []
    for day in DAYS:
        home = tmp_path / day
        home.mkdir()
        command = materialize_command(day)
        runs.append(
            subprocess.Popen(
                command,
                cwd=REPO,
                env={**env, "DAGSTER_HOME": str(home)},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    outputs = [run.communicate(timeout=300)[0].decode(errors="replace") for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0, 0], "\n".join(output[-2000:] for output in outputs)
    assert len(model.pairs) == len(set(model.pairs)) == 700  # engineer 0..699, each asked once
