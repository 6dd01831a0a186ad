"""raw_postings_sensor under load and odd histories, against a real S3 API endpoint: thousands of files over
many dates, late files, a reset cursor, files dated before the first partition."""

import subprocess
import sys

import pytest

from enrichment_platform.arrivals.scan import ArrivalCursor
from enrichment_platform.defs.assets.augmented import seniority_augmented_postings
from enrichment_platform.defs.assets.exported import exported_job_postings
from enrichment_platform.defs.assets.raw import raw_job_postings
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform_tests.support.harness import LogRecords, materialization_metadata, run_flow
from enrichment_platform_tests.support.harness import sensor_tick as tick

pytestmark = pytest.mark.integration

RAW, OUT = "job-postings-raw", "job-postings-mod"
JUL1 = 1719792000  # 2024-07-01T00:00:00Z
JUL17 = 1721174400
DAY = 86_400
POSTING = b'{"company": "Acme", "title": "CFO"}\n'


def put_all(bucket, names, data: bytes = b"") -> None:
    for name in names:
        bucket.put(RAW, name, data)


# moto's server answers inside this process, so client threads here compete with it for the GIL. Measured
# for 2,500 puts: 11 s from one thread, 15-16 s from 4 or 16 threads, 9 s from three processes holding only
# a boto3 client each (the server's own ~3.5 ms per put is then the limit).
UPLOADER = """
import sys, boto3
client = boto3.client("s3")
for key in sys.argv[2:]:
    client.put_object(Bucket=sys.argv[1], Key=key, Body=b"")
"""


def put_many_empty(bucket, names, processes: int = 3) -> None:
    """Empty raw files, uploaded through the S3 API from `processes` boto3 clients in other processes."""
    keys = [f"{RAW}/{name}" for name in names]
    uploaders = [
        subprocess.Popen([sys.executable, "-c", UPLOADER, bucket.name, *keys[i::processes]])
        for i in range(processes)
    ]
    assert [uploader.wait(timeout=120) for uploader in uploaders] == [0] * processes


def file_name(timestamp: int) -> str:
    return f"{timestamp}.jsonl"


@pytest.mark.slow
def test_2500_files_over_25_dates_in_one_tick_give_one_request_per_date_and_none_twice(bucket, instance):
    dates = {
        f"2024-07-{d + 1:02d}": [file_name(JUL1 + d * DAY + 37 * i) for i in range(100)] for d in range(25)
    }
    put_many_empty(bucket, [name for names in dates.values() for name in names])

    first = tick(instance)

    requests = {request.partition_key: request for request in first.run_requests}
    assert len(first.run_requests) == len(requests) == 25
    assert sorted(requests) == sorted(dates)
    for date, names in dates.items():
        assert requests[date].tags["enrichment/new_files"] == "100", date
        assert requests[date].tags["enrichment/newest_file"] == max(names), date
    assert sum(int(r.tags["enrichment/new_files"]) for r in first.run_requests) == 2_500  # 0 missed
    assert len({request.run_key for request in first.run_requests}) == 25
    assert ArrivalCursor.from_string(first.cursor).high_water == JUL1 + 24 * DAY + 37 * 99

    second = tick(instance, first.cursor)
    assert second.run_requests == []  # 0 requested twice


def test_late_file_inside_the_lookback_is_found_one_older_waits_for_a_backfill(bucket, instance, monkeypatch):
    monkeypatch.setenv("RAW_SENSOR_LOOKBACK_SECONDS", "3600")
    newest = JUL17 + 10_000
    bucket.put(RAW, file_name(newest), POSTING)
    first = tick(instance)
    assert [request.partition_key for request in first.run_requests] == ["2024-07-17"]

    inside, outside = file_name(newest - 1_800), file_name(newest - 7_200)
    bucket.put(RAW, inside, POSTING)
    bucket.put(RAW, outside, POSTING)  # landed later than the lookback allows for
    late = tick(instance, first.cursor)

    assert [
        (r.partition_key, r.tags["enrichment/new_files"], r.tags["enrichment/newest_file"])
        for r in late.run_requests
    ] == [("2024-07-17", "1", inside)]
    assert tick(instance, late.cursor).run_requests == []  # the sensor never lists `outside` again
    # A run (or backfill) of its date lists S3 itself, so it picks the file up.
    assert run_flow(instance, "2024-07-17").success
    assert bucket.names(OUT) == sorted([file_name(newest), inside, outside])


def test_reset_cursor_requests_the_dates_again_and_the_runs_find_nothing_to_do(bucket, instance):
    put_all(bucket, [file_name(JUL17 + 60), file_name(JUL17 + 120)], POSTING)
    first = tick(instance)
    assert [request.partition_key for request in first.run_requests] == ["2024-07-17"]
    assert run_flow(instance, "2024-07-17").success

    reset = tick(instance, cursor=None)

    assert [(r.partition_key, r.tags["enrichment/new_files"]) for r in reset.run_requests] == [
        ("2024-07-17", "2")
    ]
    # Same names, same run key: the daemon, which skips run keys a sensor has already used, launches nothing.
    assert reset.run_requests[0].run_key == first.run_requests[0].run_key
    again = run_flow(instance, "2024-07-17")  # as when run from the UI or after new files change the key
    assert again.success
    for asset in (raw_job_postings, seniority_augmented_postings, exported_job_postings):
        assert materialization_metadata(again, asset)["files_processed"] == 0, asset.key


def test_files_before_the_first_partition_get_no_request_and_one_warning(bucket, instance, monkeypatch):
    # The sensor reads PARTITIONS_START_DATE on every tick (partition_window); the partitions definition
    # read it once at import, so set it before the code location loads, or the two disagree (as here).
    monkeypatch.setenv("PARTITIONS_START_DATE", "2024-07-10")
    early, fresh = file_name(JUL1 + 4 * DAY + 5), file_name(JUL17 + 5)  # 2024-07-05, 2024-07-17
    put_all(bucket, [early, fresh], POSTING)
    log = LogRecords()

    first = tick(instance, log=log)

    assert [request.partition_key for request in first.run_requests] == ["2024-07-17"]
    assert [w for w in log.warnings() if "before PARTITIONS_START_DATE 2024-07-10" in w and early in w] != []
    log.records.clear()
    again = tick(instance, first.cursor, log=log)
    assert again.run_requests == [] and log.warnings() == []  # warned once
    assert daily_partitions.has_partition_key("2024-07-05")  # the definition still starts 2024-01-01


def test_a_nine_digit_name_before_the_first_partition_is_warned_about_once(bucket, instance):
    put_all(bucket, ["999999999.jsonl", file_name(JUL17 + 5)], POSTING)  # 2001-09-09 and 2024-07-17
    first = tick(instance)
    log = LogRecords()
    tick(instance, first.cursor, log=log)
    assert log.warnings() == []


def test_a_zero_padded_name_is_reported_not_silently_skipped(bucket, instance):
    # It would sort away from its day in a listing, so it is not taken for a raw file at all.
    padded = "0" + file_name(JUL17 + 60)
    bucket.put(RAW, padded, POSTING)
    log = LogRecords()
    result = tick(instance, log=log)
    assert result.run_requests == []
    assert [w for w in log.warnings() if "not <unix seconds>.jsonl" in w and padded in w] != []
