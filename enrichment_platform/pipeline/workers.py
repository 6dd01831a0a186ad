"""Worker processes for a step's CPU-bound work (validating raw files), so that it runs on other cores beside
the threads doing the step's network I/O instead of under their one interpreter lock."""

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from enrichment_platform.settings import setting

# Below this many files the workers' start-up is not worth it: the files are done in-process.
MIN_FILES_FOR_WORKERS = 8
MAX_AUTO_WORKERS = 2  # with the step's own process and the network services, two keep a small machine busy

T = TypeVar("T")


def worker_count(files: int) -> int:
    """Processes for `files` pending files, by ENRICHMENT_WORKER_PROCESSES ("auto", or a number; 0: none)."""
    configured = setting("ENRICHMENT_WORKER_PROCESSES").strip().lower()
    if configured != "auto":
        return max(int(configured), 0)
    if files < MIN_FILES_FOR_WORKERS:
        return 0
    return min(MAX_AUTO_WORKERS, os.cpu_count() or 1)


class CpuWorkers:
    """Calls a function in worker processes, or in the calling thread when there are none.

    Workers are spawned (not forked: the step's process holds threads and gRPC channels) and import only
    what the function's module imports, so the function must live in a module that does not import Dagster.
    """

    def __init__(self) -> None:
        self.processes = 0
        self._pool: ProcessPoolExecutor | None = None

    def start(self, files: int) -> None:
        self.processes = worker_count(files)
        if self.processes:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))

    def call(self, function: Callable[..., T], *arguments: Any) -> T:
        if self._pool is None:
            return function(*arguments)
        return self._pool.submit(function, *arguments).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
