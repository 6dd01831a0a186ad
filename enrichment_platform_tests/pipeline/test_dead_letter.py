"""When a failing file is retried, set aside (dead-lettered), or taken as a sign of broken infrastructure."""

import orjson
import pytest

from enrichment_platform.pipeline.dead_letter import (
    FailureStreak,
    FileFailure,
    FilesFailingInARowError,
    attempt_file,
    dead_letter_record,
    one_line,
    retry_delay,
)


class Outage(RuntimeError):
    """Stands for an infrastructure error (Redis, the model, S3 as a whole)."""


def failing(times: int, error: Exception | None = None):
    """A process_file that fails `times` times (with ValueError unless `error` is given), then returns facts;
    it counts its calls."""
    error = error or ValueError("unreadable")
    calls = []

    def process(name: str) -> dict:
        calls.append(name)
        if len(calls) <= times:
            raise error
        return {"lines": 3}

    return process, calls


def test_a_file_that_fails_then_succeeds_is_retried_after_a_growing_delay():
    process, calls = failing(times=2)
    slept = []
    facts = attempt_file(
        process, "1.jsonl", infrastructure=(Outage,), sleep=slept.append, delay=lambda n: n * 10.0
    )
    assert facts == {"lines": 3}
    assert calls == ["1.jsonl"] * 3
    assert slept == [10.0, 20.0]


def test_a_file_failing_every_attempt_becomes_a_failure_with_its_last_error():
    process, calls = failing(times=5, error=KeyError("title"))
    outcome = attempt_file(process, "1.jsonl", infrastructure=(Outage,), attempts=3, sleep=lambda _: None)
    assert isinstance(outcome, FileFailure)
    assert (outcome.name, outcome.attempts, outcome.error) == ("1.jsonl", 3, "KeyError: 'title'")
    assert "KeyError" in outcome.trace and "raise error" in outcome.trace
    assert len(calls) == 3


def test_infrastructure_errors_are_raised_at_once_without_retrying_the_file():
    process, calls = failing(times=1, error=Outage("redis down"))
    with pytest.raises(Outage, match="redis down"):
        attempt_file(process, "1.jsonl", infrastructure=(Outage,), sleep=lambda _: pytest.fail("slept"))
    assert len(calls) == 1


def test_at_least_one_attempt_is_required():
    with pytest.raises(ValueError, match="at least 1"):
        attempt_file(lambda name: {}, "1.jsonl", infrastructure=(), attempts=0)


def test_retry_delay_doubles_from_the_first_within_half_and_one_and_a_half_times():
    assert [retry_delay(n, first=1.0, jitter=lambda low, high: 1.0) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert retry_delay(3, first=1.0, jitter=lambda low, high: low) == 2.0
    assert retry_delay(3, first=1.0, jitter=lambda low, high: high) == 6.0


def failure(name: str) -> FileFailure:
    return FileFailure(name, 3, "S3AccessError: refused", "")


def test_three_files_failing_in_a_row_fail_the_step_naming_them():
    streak = FailureStreak(limit=3)
    streak.failed(failure("1.jsonl"))
    streak.failed(failure("2.jsonl"))
    with pytest.raises(FilesFailingInARowError, match=r"3 files in a row .*\(1.jsonl, 2.jsonl, 3.jsonl\)"):
        streak.failed(failure("3.jsonl"))


def test_a_file_succeeding_between_failures_keeps_them_dead_letters():
    streak = FailureStreak(limit=3)
    for name in ("1.jsonl", "2.jsonl"):
        streak.failed(failure(name))
    streak.succeeded()
    streak.failed(failure("4.jsonl"))
    streak.failed(failure("5.jsonl"))  # two in a row again: still files of their own
    # The streak counts from the success: the third failure after it names only the three since.
    with pytest.raises(FilesFailingInARowError, match=r"3 files in a row .*\(4.jsonl, 5.jsonl, 6.jsonl\)"):
        streak.failed(failure("6.jsonl"))


def test_dead_letter_record_says_which_version_failed_where_how_often_when_and_why():
    record = orjson.loads(
        dead_letter_record(
            FileFailure("1.jsonl", 3, "S3AccessError: refused", "Traceback..."),
            "raw_job_postings",
            "2024-07-17",
            "etag-1",
            failed_at=1721174400,
        )
    )
    assert record == {
        "file": "1.jsonl",
        "asset": "raw_job_postings",
        "partition": "2024-07-17",
        "input_version": "etag-1",
        "attempts": 3,
        "error": "S3AccessError: refused",
        "traceback": "Traceback...",
        "failed_at": "2024-07-17T00:00:00+00:00",
        "next": record["next"],
    }
    assert "next run" in record["next"]


def test_errors_are_listed_on_one_short_line():
    assert one_line("S3 get failed:\n  refused\tnow") == "S3 get failed: refused now"
    assert one_line("x" * 500, limit=10) == "xxxxxxx..."
