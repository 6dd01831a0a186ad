"""The flow benchmark's summary answers the operator's questions from the passes' measurements."""

import os

from enrichment_platform.bench.flow import ASSETS, BenchConfig, PassResult
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
