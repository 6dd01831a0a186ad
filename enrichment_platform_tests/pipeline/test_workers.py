"""Worker processes of a step: how many, and a dead worker failing the step as broken infrastructure."""

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from enrichment_platform.pipeline.incremental import INFRASTRUCTURE_ERRORS
from enrichment_platform.pipeline.workers import MIN_FILES_FOR_WORKERS, CpuWorkers, worker_count


def square(value: int) -> int:
    return value * value


def die(_: int) -> int:
    os._exit(9)  # as the kernel's out-of-memory killer would leave it


@pytest.mark.parametrize(
    ("configured", "files", "expected"),
    [
        ("auto", MIN_FILES_FOR_WORKERS - 1, 0),
        ("auto", 1440, min(2, os.cpu_count() or 1)),
        ("0", 1440, 0),
        ("3", 1, 3),
    ],
)
def test_worker_count(monkeypatch, configured, files, expected):
    monkeypatch.setenv("ENRICHMENT_WORKER_PROCESSES", configured)
    assert worker_count(files) == expected


def test_calls_run_in_workers_or_in_process(monkeypatch):
    for configured in ("0", "1"):
        monkeypatch.setenv("ENRICHMENT_WORKER_PROCESSES", configured)
        workers = CpuWorkers()
        workers.start(files=1)
        try:
            assert workers.processes == int(configured)
            assert [workers.call(square, value) for value in range(4)] == [0, 1, 4, 9]
        finally:
            workers.close()


def test_a_dead_worker_is_an_infrastructure_error(monkeypatch):
    monkeypatch.setenv("ENRICHMENT_WORKER_PROCESSES", "1")
    workers = CpuWorkers()
    workers.start(files=1)
    try:
        with pytest.raises(BrokenProcessPool) as raised:
            workers.call(die, 0)
        assert isinstance(raised.value, INFRASTRUCTURE_ERRORS)  # the step fails and Dagster retries it
    finally:
        workers.close()
