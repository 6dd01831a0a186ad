"""The backfill benchmark: the model's busy time is rebuilt as its capacity queue books it, idle gaps name
what the runs were doing, and a tiny backfill through the daemon writes its report."""

import json

import pytest

from enrichment_platform.bench.backfill import BackfillConfig, run_backfill_bench
from enrichment_platform.bench.backfill_report import (
    activity_during,
    busy_intervals,
    busy_per_second,
    idle_gaps,
    projected_ratio,
    summarize,
)
from enrichment_platform.bench.freshness_report import RunTimes

T0 = 1_722_470_400.0


def a_run(partition: str, created: float, steps: dict[str, list[float]], ended: float) -> RunTimes:
    return RunTimes(
        run_id=partition,
        partition=partition,
        newest_file="",
        new_files=0,
        status="SUCCESS",
        created=T0 + created,
        dequeued=T0 + created + 1,
        started=T0 + created + 2,
        ended=T0 + ended,
        steps={key: [T0 + start, T0 + end] for key, (start, end) in steps.items()},
    )


def test_batches_queue_behind_each_other_at_the_capacity_and_adjoining_ones_merge():
    # 100 pairs at 100/s last a second: the second batch waits for the first, the third arrives after a gap.
    requests = [(T0, 100), (T0 + 0.5, 100), (T0 + 4.0, 50)]

    intervals = busy_intervals(requests, capacity=100)

    assert intervals == [(T0, T0 + 2.0), (T0 + 4.0, T0 + 4.5)]
    assert busy_per_second(intervals, T0, T0 + 4.5) == [1.0, 1.0, 0.0, 0.0, 0.5]
    assert idle_gaps(intervals) == [(T0 + 2.0, T0 + 4.0)]


def test_an_idle_gap_names_what_each_run_was_doing_meanwhile():
    runs = [
        a_run("2024-08-01", 0, {"augment": [3, 10], "export": [10, 14]}, ended=15),
        a_run("2024-08-02", 0, {"raw": [3, 12], "augment": [12, 20]}, ended=21),
    ]

    activity = activity_during(T0 + 10, T0 + 12, runs)

    assert activity == [
        {"partition": "2024-08-01", "phase": "export", "seconds": 2.0},
        {"partition": "2024-08-02", "phase": "raw", "seconds": 2.0},
    ]


def test_the_wall_ratio_sets_the_backfill_against_distinct_pairs_over_capacity():
    runs = [a_run("2024-08-01", 30, {"augment": [40, 52]}, ended=60)]
    requests = [(T0 + 40 + second, 100) for second in range(10)]  # 10 s of work at 100 pairs/s

    summary = summarize(1, T0, requests, capacity=100, distinct_new_pairs=1_000, runs=runs)

    assert summary["busy_share"] == 1.0 and summary["ideal_seconds"] == 10.0
    assert summary["wall_seconds"] == 60.0 and summary["wall_ratio"] == 6.0
    assert summary["launch_to_first_request_seconds"] == 40.0
    assert summary["last_request_to_last_run_end_seconds"] == 10.0
    assert summary["busy_per_second"]["shares"] == [1.0] * 10
    # 40 s before the first request and 10 s after the last answer cost half as much at ten times the pairs.
    assert projected_ratio(summary, dates=1, pairs_per_date=10_000, capacity=100) == 1.5


@pytest.mark.integration
@pytest.mark.slow
def test_a_tiny_backfill_through_the_daemon_writes_its_report(tmp_path):
    config = BackfillConfig(
        dates=2,
        files=2,
        lines_per_file=200,
        universe=2_000,
        capacity=200,
        results_dir=tmp_path / "results",
        data_dir=tmp_path / "data",
    )

    summary = run_backfill_bench(config)

    (out_dir,) = (tmp_path / "results").iterdir()
    assert {path.name for path in out_dir.iterdir()} == {"backfill.json", "backfill.md", "backfill.png"}
    runs = json.loads((out_dir / "backfill.json").read_text())["summary"]["runs"]
    assert sorted(run["partition"] for run in runs) == ["2024-08-01", "2024-08-02"]
    assert all(run["status"] == "SUCCESS" for run in runs)
    # Every new pair asked once, cold.
    assert summary["pairs_asked"] == summary["distinct_new_pairs"] > 0
    assert 0 < summary["busy_share"] <= 1 and summary["wall_seconds"] > summary["model_window_seconds"]
