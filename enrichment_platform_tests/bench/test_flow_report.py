"""The flow benchmark's summary answers the operator's questions from the passes' measurements."""

import os

import pytest

from enrichment_platform.bench.flow import ASSETS, DEFAULT_PASSES, BenchConfig, PassResult, passes_to_run
from enrichment_platform.bench.flow_report import markdown, summarize

STAGES = {"seconds_cache_read": 1.0, "seconds_cache_write": 0.5, "seconds_model": 2.0}


def a_pass(name: str, lines: int, wall: float, run_cpu: float, aug: dict | None = None) -> PassResult:
    metadata = {asset: {} for asset in ASSETS}
    metadata["seniority_augmented_postings"] = {**STAGES, **(aug or {})}
    metadata["redis_used_memory_growth"] = 16_000
    return PassResult(
        name=name,
        partition="2024-07-17",
        files=10,
        lines=lines,
        wall_seconds=wall,
        step_seconds={asset: wall / 4 for asset in ASSETS},
        metadata=metadata,
        usage={
            "run": {"cpu_seconds": run_cpu, "peak_rss_mb": 200.0, "rss_samples_mb": [190.0, 200.0, 195.0]}
        },
        machine_busy_share=0.9,
    )


def test_the_summary_gives_the_steps_own_cpu_and_the_rate_it_allows_on_these_cores():
    passes = {
        "warm": a_pass("warm", 1_000_000, 20.0, run_cpu=25.0),
        "fill": a_pass("fill", 1_000_000, 30.0, run_cpu=35.0, aug={"run_model_requests": 1_000}),
        "cold": a_pass("cold", 10_000, 12.0, run_cpu=8.0, aug={"run_model_requests": 1_000}),
        "one_file": a_pass("one_file", 5_000, 7.0, run_cpu=5.0),
    }
    summary = summarize(BenchConfig(), passes, cold_distinct=1_000, day_distinct=1_000)
    cores = os.cpu_count()
    # 25 - 5 CPU-s of steps for a million lines; on `cores` cores at most 1M / (20 / cores) lines/s
    assert summary["steps_cpu_seconds_per_million_lines_warm"] == 20.0
    assert summary["lines_per_second_ceiling_run_alone"] == round(1_000_000 / (20.0 / cores))
    assert summary["machine_busy_share_warm"] == 0.9
    table = markdown(summary)
    assert "20.0 CPU-s per million lines" in table and "90%" in table


def test_a_chosen_pass_runs_with_the_passes_it_needs_in_order():
    assert passes_to_run(["hour", "warm3"]) == ["fill", "one_file", "one_file3", "warm3", "hour"]
    assert passes_to_run(DEFAULT_PASSES) == list(DEFAULT_PASSES)
    with pytest.raises(ValueError, match="unknown pass"):
        passes_to_run(["warm4"])


def test_the_warm3_pass_is_set_beside_its_goals_without_the_default_passes():
    passes = {
        "one_file3": a_pass("one_file3", 5_000, 6.0, run_cpu=5.0),
        "warm3": a_pass("warm3", 2_000_000, 40.0, run_cpu=15.0),
    }
    summary = summarize(BenchConfig(), passes, cold_distinct=0, day_distinct=1_000)
    warm3 = summary["passes"]["warm3"]
    # (15 - 5) CPU-s for two million lines; 40 s is within the 45 s goal, 5 CPU-s/M is over the 4 of its goal
    assert warm3["steps_cpu_seconds_per_million_lines"] == 5.0
    assert warm3["goals"]["wall_seconds"] == {"goal": 45.0, "met": True}
    assert warm3["goals"]["steps_cpu_seconds_per_million_lines"] == {"goal": 4.0, "met": False}
    assert "day_lines" not in summary
    table = markdown(summary)
    assert "| warm3 | 10 | 2,000,000 | 40.0 | ≤ 45 s: met |" in table and "not met" in table
