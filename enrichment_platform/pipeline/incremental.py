"""The per-file loop every asset shares: process only new or changed inputs, retry a failing file and
dead-letter it if it keeps failing, checkpoint, log progress."""

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial

from enrichment_platform.cache.connection import CacheUnavailableError
from enrichment_platform.model_client.errors import ModelContractError, ModelUnavailableError
from enrichment_platform.pipeline.dead_letter import (
    FailureStreak,
    FileFailure,
    attempt_file,
    dead_letter_record,
)
from enrichment_platform.pipeline.manifest import Manifest
from enrichment_platform.pipeline.storage import DEAD_LETTER_SUFFIX, PipelineStorage, S3UnavailableError
from enrichment_platform.pipeline.workers import CpuWorkers
from enrichment_platform.settings import setting
from enrichment_platform.warehouse.connection import WarehouseUnavailableError

CHECKPOINT_SECONDS = 30.0
PROGRESS_SECONDS = 10.0
# Broken infrastructure: retrying one file cannot help, so the step fails and Dagster retries it. A worker
# process that died (killed, out of memory) breaks its pool for every file after it, so it counts too.
INFRASTRUCTURE_ERRORS = (
    S3UnavailableError,
    CacheUnavailableError,
    ModelUnavailableError,
    ModelContractError,
    WarehouseUnavailableError,
    BrokenProcessPool,
)


@dataclass
class FileRun:
    """What one asset materialization did: the manifest after it, and the summed facts of this run's files."""

    manifest: Manifest
    files_total: int
    files_processed: int = 0
    totals: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    dead_lettered: list[FileFailure] = field(default_factory=list)
    dead_letter_uri: str = ""
    worker_processes: int = 0


def process_pending_files(
    asset_name: str,
    partition_key: str,
    log: logging.Logger,
    storage: PipelineStorage,
    sources: dict[str, str],
    full_refresh: bool,
    process_file: Callable[[str], dict],
    workers: CpuWorkers | None = None,
    before_checkpoint: Callable[[], None] = lambda: None,
    in_flight: int | None = None,
) -> FileRun:
    """Call `process_file(name)` for each input whose version is not yet in the manifest of `asset_name`'s
    partition `partition_key`, with progress logged to `log`; the facts it returns are recorded, and the
    manifest is written every 30 s and at the end. `workers`, when given, are started for the pending files
    (process_file hands them its CPU-bound part) and closed after.
    `before_checkpoint()` is called before each manifest write, so that what recorded facts point to is
    written first. `in_flight` files are processed at once (default: ENRICHMENT_FILES_IN_FLIGHT).

    A file that fails FILE_ATTEMPTS times is dead-lettered (an object under `storage.dead_letters`, not in the
    manifest, so the next run tries it again) and the others go on; infrastructure errors, and several files
    failing in a row, fail the step instead."""
    started = time.perf_counter()
    manifest = storage.read_manifest(asset_name, partition_key)
    pending = manifest.pending(sources, full_refresh)
    dead_letters = storage.dead_letters(asset_name, partition_key)
    run = FileRun(manifest=manifest, files_total=len(sources), dead_letter_uri=dead_letters.uri)
    earlier_dead_letters = set(storage.dead_lettered_files(asset_name, partition_key))
    for name in sorted(earlier_dead_letters - set(sources)):
        storage.delete(dead_letters, name + DEAD_LETTER_SUFFIX)  # the file has left the partition
    if workers is None:
        workers = CpuWorkers()  # not started: every file is done in this process
    else:
        workers.start(len(pending))
        run.worker_processes = workers.processes
    log.info(
        f"{asset_name} {partition_key}: {len(pending)} of {len(sources)} files to process"
        + (" (full refresh)" if full_refresh else "")
        + (f", {workers.processes} worker processes" if workers.processes else "")
    )
    streak = FailureStreak()
    last_checkpoint = last_progress = time.perf_counter()
    attempt = partial(attempt_file, process_file, infrastructure=INFRASTRUCTURE_ERRORS)
    in_order = _in_order(attempt, pending, in_flight or files_in_flight())
    with closing(workers), closing(in_order) as outcomes:
        for name, outcome in outcomes:
            if isinstance(outcome, FileFailure):
                log.error(
                    f"{asset_name} {partition_key}: {name} failed {outcome.attempts} times: {outcome.error}"
                )
                streak.failed(outcome)  # several in a row: an outage, the step fails instead
                run.dead_lettered.append(outcome)
                continue
            streak.succeeded()
            if name in earlier_dead_letters:
                storage.delete(dead_letters, name + DEAD_LETTER_SUFFIX)
            manifest.record(name, sources[name], **outcome)
            run.files_processed += 1
            run.totals.update(
                {key: value for key, value in outcome.items() if isinstance(value, int | float)}
            )
            now = time.perf_counter()
            if now - last_checkpoint >= CHECKPOINT_SECONDS:
                # A crash then costs at most 30 s of work: the rerun skips what the checkpoint recorded.
                before_checkpoint()
                storage.write_manifest(asset_name, partition_key, manifest)
                last_checkpoint = now
            if now - last_progress >= PROGRESS_SECONDS:
                log.info(f"{asset_name} {partition_key}: {run.files_processed}/{len(pending)} files done")
                last_progress = now
    # Written once every file is through, so that a step failed by an outage leaves no dead letter behind.
    for failure in run.dead_lettered:
        record = dead_letter_record(failure, asset_name, partition_key, sources[failure.name], time.time())
        storage.put(dead_letters, failure.name + DEAD_LETTER_SUFFIX, record, "application/json")
    if pending or not manifest.files:
        before_checkpoint()
        storage.write_manifest(asset_name, partition_key, manifest)
    run.seconds = time.perf_counter() - started
    return run


def files_in_flight() -> int:
    """Files a step processes at once (ENRICHMENT_FILES_IN_FLIGHT, at least 1)."""
    value = setting("ENRICHMENT_FILES_IN_FLIGHT")
    try:
        return max(int(value), 1)
    except ValueError:
        raise ValueError(f"ENRICHMENT_FILES_IN_FLIGHT must be a number of files, not {value!r}") from None


def _in_order(
    process_file: Callable[[str], dict | FileFailure], names: list[str], in_flight_limit: int
) -> Iterator[tuple[str, dict | FileFailure]]:
    """(name, outcome) in the order of `names`, with up to `in_flight_limit` files processed at once; on the
    first failure the files not yet started are cancelled and the error is raised."""
    pool = ThreadPoolExecutor(max_workers=in_flight_limit, thread_name_prefix="file")
    in_flight: deque[tuple[str, Future]] = deque()
    try:
        for name in names:
            in_flight.append((name, pool.submit(process_file, name)))
            if len(in_flight) >= 2 * in_flight_limit:
                done_name, future = in_flight.popleft()
                yield done_name, future.result()
        while in_flight:
            done_name, future = in_flight.popleft()
            yield done_name, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
