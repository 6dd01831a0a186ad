"""Dead-lettering: a file that keeps failing for a reason of its own is set aside, so that the rest of its
partition goes on; failures of the infrastructure still fail the step, so that Dagster retries it."""

import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

FILE_ATTEMPTS = 3
FIRST_RETRY_DELAY_SECONDS = 1.0
# Files failing one after another with no success between them point at an outage, not at bad files.
MAX_FAILED_IN_A_ROW = 3


def retry_delay(
    attempt: int,
    first: float = FIRST_RETRY_DELAY_SECONDS,
    jitter: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (from 1): `first`, doubling, ±50 % jitter."""
    return first * 2 ** (attempt - 1) * jitter(0.5, 1.5)


@dataclass(frozen=True)
class FileFailure:
    """A file that failed every attempt: how often, and the last error."""

    name: str
    attempts: int
    error: str  # "<exception type>: <message>"
    trace: str  # the last error's traceback, with its causes

    @classmethod
    def of(cls, name: str, attempts: int, error: BaseException) -> "FileFailure":
        return cls(
            name, attempts, f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error))
        )


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line, cut to `limit` characters: short enough for a list in the UI."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def attempt_file(
    process: Callable[[str], dict],
    name: str,
    infrastructure: tuple[type[BaseException], ...],
    attempts: int = FILE_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    delay: Callable[[int], float] = retry_delay,
) -> dict | FileFailure:
    """`process(name)`'s facts, trying up to `attempts` times with backoff; a FileFailure once every attempt
    failed. An `infrastructure` error is raised at once: retrying the file cannot help, retrying the step
    can."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            return process(name)
        except infrastructure:
            raise
        except Exception as error:
            if attempt == attempts:
                return FileFailure.of(name, attempt, error)
            sleep(delay(attempt))
    raise AssertionError("unreachable")


class FilesFailingInARowError(RuntimeError):
    """Several files in a row failed every attempt: broken infrastructure rather than bad files."""


class FailureStreak:
    """Files that failed one after another, in the order they finish; too many in a row fail the step."""

    def __init__(self, limit: int = MAX_FAILED_IN_A_ROW):
        self.limit = limit
        self._failures: list[FileFailure] = []

    def succeeded(self) -> None:
        self._failures.clear()

    def failed(self, failure: FileFailure) -> None:
        """Count a failed file; raise FilesFailingInARowError when it makes `limit` in a row."""
        self._failures.append(failure)
        if len(self._failures) >= self.limit:
            names = ", ".join(f.name for f in self._failures)
            raise FilesFailingInARowError(
                f"{len(self._failures)} files in a row failed every attempt ({names}), which points at "
                "broken infrastructure rather than bad files, so none is dead-lettered and the step fails "
                f"for Dagster to retry. Last error: {failure.error}"
            )


def dead_letter_record(
    failure: FileFailure, asset: str, partition_key: str, input_version: str, failed_at: float
) -> bytes:
    """The dead-letter object of a file: which input version failed where, how often, when and why."""
    return orjson.dumps(
        {
            "file": failure.name,
            "asset": asset,
            "partition": partition_key,
            "input_version": input_version,
            "attempts": failure.attempts,
            "error": failure.error,
            "traceback": failure.trace,
            "failed_at": datetime.fromtimestamp(failed_at, UTC).isoformat(timespec="seconds"),
            "next": (
                "the next run of the partition tries the file again; once it succeeds this object is removed"
            ),
        },
        option=orjson.OPT_INDENT_2,
    )
