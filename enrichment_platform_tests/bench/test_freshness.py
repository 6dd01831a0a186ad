"""The freshness benchmark: each file is matched to the run that processed it, the day's history is written as
the sensor leaves it, and the sensor's cursor after the day requests nothing more."""

import dagster as dg
import pytest

from enrichment_platform.bench.freshness_history import (
    JOB_ASSETS,
    sensor_cursor_after,
    write_sensor_history,
)
from enrichment_platform.bench.freshness_report import RunTimes, file_breakdown, summarize
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.defs.sensors import raw_postings_sensor

DAY = "2024-07-17"
T0 = 1721174400


def a_run(newest: str, created: float, raw_start: float, export_end: float) -> RunTimes:
    return RunTimes(
        run_id=newest,
        partition=DAY,
        newest_file=newest,
        new_files=1,
        status="SUCCESS",
        created=created,
        dequeued=created + 1,
        started=created + 5,
        ended=export_end + 3,
        steps={"raw_job_postings": [raw_start, raw_start + 1], "exported_job_postings": [0.0, export_end]},
    )


def test_a_file_goes_to_the_first_run_whose_raw_step_started_after_it_landed():
    # The first run was requested for an earlier file, and its listing took the file along.
    runs = [
        a_run("a", created=100, raw_start=106, export_end=109),
        a_run("b", created=130, raw_start=136, export_end=139),
    ]

    taken_along = file_breakdown("b", DAY, landed=104, visible=109.5, runs=runs)
    later = file_breakdown("c", DAY, landed=120, visible=139.5, runs=runs)

    assert taken_along["run_id"] == "a" and taken_along["run_created_after_landing_seconds"] == -4
    assert later["run_id"] == "b" and later["latency_seconds"] == 19.5
    assert (later["queue_seconds"], later["start_up_seconds"], later["steps_to_export_seconds"]) == (1, 4, 4)
    summary = summarize([taken_along, later], None)
    assert summary["latency_p50_seconds"] == 12.5 and summary["latency_max_seconds"] == 19.5


@pytest.mark.integration
def test_the_day_written_as_the_sensor_left_it_requests_nothing_more(bucket, instance):
    names = [f"{T0 + 60 * index}.jsonl" for index in range(5)]
    for name in names:
        bucket.put("job-postings-raw", name, b'{"company": "", "title": "Intern"}\n')

    assert write_sensor_history(instance, DAY, names, {}) == 5
    with dg.build_sensor_context(
        instance=instance, cursor=sensor_cursor_after(names, 86_400), resources=default_resources()
    ) as context:
        result = raw_postings_sensor(context)

    assert result.run_requests == []
    runs = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": DAY}))
    assert len(runs) == 5 and all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
    materialized = instance.fetch_materializations(dg.AssetKey(JOB_ASSETS[0]), limit=10).records
    assert len(materialized) == 5
