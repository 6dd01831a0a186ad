"""The flow benchmark's report: the summary answering the operator's questions, each pass's time and CPU
beside the goals, its markdown tables, and a chart of where the warm day's wall time goes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from enrichment_platform.bench.flow import BenchConfig, PassResult

AUGMENT_STAGES = (
    "seconds_normalize",
    "seconds_cache_read",
    "seconds_model",
    "seconds_cache_write",
    "seconds_waiting",
)

# The one-file run whose CPU (start-up, events, checks) is taken off a pass's to give its steps' own.
BASELINE = {"warm": "one_file", "warm3": "one_file3", "hour": "one_file"}
# The goals a pass is measured against: its wall seconds, and its steps' own CPU per million lines.
GOALS = {
    "warm3": {"wall_seconds": 45.0, "steps_cpu_seconds_per_million_lines": 4.0},
    "warm": {"steps_cpu_seconds_per_million_lines": 4.0},
}


def pass_figures(passes: dict[str, PassResult]) -> dict[str, dict]:
    """Per pass: wall and run CPU (with its workers), the steps' own CPU per million lines where a one-file
    run of the same assets was measured, and the goals with whether they are met."""
    figures = {}
    for name, result in passes.items():
        step_seconds = sum(result.step_seconds.values())
        run_cpu = result.usage["run"]["cpu_seconds"]
        row = {
            "files": result.files,
            "lines": result.lines,
            "wall_seconds": round(result.wall_seconds, 1),
            "run_cpu_seconds": round(run_cpu, 1),
            "steps_seconds": round(step_seconds, 1),
            "seconds_outside_steps": round(result.wall_seconds - step_seconds, 1),
        }
        baseline = passes.get(BASELINE.get(name, ""))
        if baseline is not None and result.lines:
            steps_cpu = run_cpu - baseline.usage["run"]["cpu_seconds"]
            row["steps_cpu_seconds_per_million_lines"] = round(steps_cpu / result.lines * 1e6, 2)
        row["goals"] = {
            metric: {"goal": goal, "met": row[metric] <= goal}
            for metric, goal in GOALS.get(name, {}).items()
            if metric in row
        }
        figures[name] = row
    return figures


def augment_wall_shares(result: PassResult) -> dict[str, float]:
    """The augmentation step's wall time split by stage. Stage times are summed over files that run
    concurrently, so they are scaled to the step's wall time in proportion."""
    metadata = result.metadata["seniority_augmented_postings"]
    stage_sum = sum(metadata.get(stage, 0.0) for stage in AUGMENT_STAGES) or 1.0
    wall = result.step_seconds["seniority_augmented_postings"]
    return {stage: wall * metadata.get(stage, 0.0) / stage_sum for stage in AUGMENT_STAGES}


def summarize(
    config: BenchConfig, passes: dict[str, PassResult], cold_distinct: int, day_distinct: int
) -> dict:
    """The passes' figures, and with the four default passes the answers to the operator's questions."""
    summary = {
        "machine": f"{os.cpu_count() or 1} cores, {psutil.virtual_memory().total / 2**30:.0f} GB",
        "date": datetime.now(tz=UTC).date().isoformat(),
        "passes": pass_figures(passes),
    }
    if {"warm", "fill", "cold", "one_file"} <= passes.keys():
        summary.update(answers(config, passes, cold_distinct, day_distinct))
    return summary


def answers(
    config: BenchConfig, passes: dict[str, PassResult], cold_distinct: int, day_distinct: int
) -> dict:
    warm, fill, cold, one = passes["warm"], passes["fill"], passes["cold"], passes["one_file"]
    fill_aug = fill.metadata["seniority_augmented_postings"]
    cold_aug = cold.metadata["seniority_augmented_postings"]
    warm_steps = sum(warm.step_seconds.values())
    warm_warehouse = warm.metadata.get("postings_warehouse", {})
    rss = warm.usage["run"]["rss_samples_mb"]
    half = len(rss) // 2
    # The steps' own CPU: the warm run's less a one-file run's (Dagster's start-up, events and checks).
    steps_cpu = warm.usage["run"]["cpu_seconds"] - one.usage["run"]["cpu_seconds"]
    cores = os.cpu_count() or 1
    return {
        "day_lines": warm.lines,
        "day_files": warm.files,
        "one_file_seconds": round(one.wall_seconds, 2),
        "day_warm_seconds": round(warm.wall_seconds, 1),
        "day_fill_seconds_uncapped_model": round(fill.wall_seconds, 1),
        "asset_code_lines_per_second_warm": round(warm.lines / warm_steps) if warm_steps else 0,
        "warm_step_seconds": {k: round(v, 2) for k, v in warm.step_seconds.items()},
        "cache_read_share_warm": round(
            augment_wall_shares(warm)["seconds_cache_read"] / warm.wall_seconds, 3
        ),
        "cache_write_share_fill": round(
            augment_wall_shares(fill)["seconds_cache_write"] / fill.wall_seconds, 3
        ),
        "cold_augment_step_seconds": round(cold.step_seconds["seniority_augmented_postings"], 1),
        "cold_seconds": round(cold.wall_seconds, 1),
        "cold_steps_seconds": round(sum(cold.step_seconds.values()), 1),  # without Dagster's start-up
        "cold_distinct_normalized_pairs": cold_distinct,
        "cold_target_seconds": round(1.05 * cold_distinct / config.capacity, 1),
        "cold_model_requests": cold_aug.get("run_model_requests"),
        "model_requests_per_distinct_pair": round(cold_aug.get("run_model_requests", 0) / cold_distinct, 4),
        "day_model_requests_per_distinct_pair": round(
            fill_aug.get("run_model_requests", 0) / day_distinct, 4
        ),
        "day_distinct_normalized_pairs": day_distinct,
        "cache_bytes_per_pair": round(fill.metadata["redis_used_memory_growth"] / max(day_distinct, 1), 1),
        "cpu_seconds_warm": {name: usage["cpu_seconds"] for name, usage in warm.usage.items()},
        "machine_busy_share_warm": round(warm.machine_busy_share, 3),
        "steps_cpu_seconds_per_million_lines_warm": round(steps_cpu / warm.lines * 1e6, 2)
        if warm.lines
        else 0,
        # What this build could reach on these cores if S3 and Redis ran elsewhere (they share them here).
        "lines_per_second_ceiling_run_alone": round(warm.lines / (steps_cpu / cores)) if steps_cpu > 0 else 0,
        "peak_rss_mb_warm": {name: usage["peak_rss_mb"] for name, usage in warm.usage.items()},
        "warehouse_step_seconds_warm": round(warm_warehouse.get("seconds", 0.0), 1),
        "warehouse_rows_per_second_warm": warm_warehouse.get("rows_per_second", 0),
        "warehouse_rows_warm": warm_warehouse.get("run_rows", 0),
        "warehouse_bytes_per_row": warm.metadata.get("warehouse_bytes_per_row", 0.0),
        "run_rss_mb_first_half_peak": round(max(rss[:half] or [0]), 1),
        "run_rss_mb_second_half_peak": round(max(rss[half:] or [0]), 1),
    }


def goal_text(goals: dict, metric: str, unit: str) -> str:
    if metric not in goals:
        return ""
    goal = goals[metric]
    return f"≤ {goal['goal']:g} {unit}: {'met' if goal['met'] else 'not met'}"


def passes_markdown(figures: dict[str, dict]) -> list[str]:
    lines = [
        "| pass | files | lines | wall s | goal | run CPU-s (with workers) | outside the steps s "
        "| steps' own CPU-s per million lines | goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in figures.items():
        goals = row["goals"]
        lines.append(
            f"| {name} | {row['files']:,} | {row['lines']:,} | {row['wall_seconds']} "
            f"| {goal_text(goals, 'wall_seconds', 's')} | {row['run_cpu_seconds']} "
            f"| {row['seconds_outside_steps']} | {row.get('steps_cpu_seconds_per_million_lines', '')} "
            f"| {goal_text(goals, 'steps_cpu_seconds_per_million_lines', 'CPU-s/M')} |"
        )
    return lines


def markdown(summary: dict) -> str:
    before, after = summary.get("python_loop_seconds", ("?", "?"))
    lines = [
        f"Machine: {summary['machine']}; date {summary['date']}; a 10,000,000-step Python loop took "
        f"{before} s before the passes and {after} s after (figures scale with it).",
        "",
        *passes_markdown(summary["passes"]),
    ]
    if "day_lines" in summary:
        lines += ["", *answers_markdown(summary)]
    return "\n".join(lines) + "\n"


def answers_markdown(summary: dict) -> list[str]:
    rows = [
        (
            "1. one file through the whole flow (`dagster asset materialize`, 1-file partition)",
            f"{summary['one_file_seconds']} s",
        ),
        (
            f"2. a day ({summary['day_files']:,} files, {summary['day_lines']:,} lines), warm cache",
            f"{summary['day_warm_seconds']} s",
        ),
        ("   the same day, cold cache, model uncapped", f"{summary['day_fill_seconds_uncapped_model']} s"),
        (
            "   asset code path, warm (lines / sum of step seconds)",
            f"{summary['asset_code_lines_per_second_warm']:,} lines/s",
        ),
        ("3. share of the warm day spent reading the cache", f"{summary['cache_read_share_warm']:.1%}"),
        ("4. share of the cold day spent writing the cache", f"{summary['cache_write_share_fill']:.1%}"),
        (
            "5. CPU seconds per process, warm day",
            ", ".join(f"{k} {v}" for k, v in summary["cpu_seconds_warm"].items()),
        ),
        ("   cores busy during the warm day (all processes)", f"{summary['machine_busy_share_warm']:.0%}"),
        (
            "   the steps' own CPU, warm (run less a one-file run), and the rate it allows on these cores "
            "if S3 and Redis ran elsewhere",
            f"{summary['steps_cpu_seconds_per_million_lines_warm']} CPU-s per million lines: at most "
            f"{summary['lines_per_second_ceiling_run_alone']:,} lines/s",
        ),
        (
            "   warehouse load, warm day (the postings_warehouse step: rows, seconds, rows/s, bytes per row)",
            f"{summary['warehouse_rows_warm']:,} rows in {summary['warehouse_step_seconds_warm']} s: "
            f"{summary['warehouse_rows_per_second_warm']:,} rows/s, "
            f"{summary['warehouse_bytes_per_row']} bytes/row",
        ),
        (
            "6. peak memory per process, warm day (MB)",
            ", ".join(f"{k} {v}" for k, v in summary["peak_rss_mb_warm"].items()),
        ),
        (
            "   run memory, peak in first / second half of the day (MB)",
            f"{summary['run_rss_mb_first_half_peak']} / {summary['run_rss_mb_second_half_peak']}",
        ),
        (
            f"cold: {summary['cold_distinct_normalized_pairs']:,} distinct pairs at the model's capacity, "
            "whole run / the three steps / augmentation step",
            f"{summary['cold_seconds']} s / {summary['cold_steps_seconds']} s / "
            f"{summary['cold_augment_step_seconds']} s "
            f"(pairs ÷ capacity × 1.05 = {summary['cold_target_seconds']} s)",
        ),
        (
            "model requests per distinct normalized pair (cold files / whole day)",
            f"{summary['model_requests_per_distinct_pair']} / "
            f"{summary['day_model_requests_per_distinct_pair']}",
        ),
        (
            "cache bytes per pair (Redis used_memory growth / distinct pairs)",
            f"{summary['cache_bytes_per_pair']}",
        ),
    ]
    lines = ["| question | answer |", "|---|---|"]
    return lines + [f"| {question} | {answer} |" for question, answer in rows]


def chart(warm: PassResult, path: Path) -> None:
    """Where the warm day's wall time goes: Dagster start-up and overhead, and each step's parts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = warm.step_seconds
    shares = augment_wall_shares(warm)
    parts = {
        "raw_job_postings": steps["raw_job_postings"],
        "augment: normalize": shares["seconds_normalize"],
        "augment: cache read": shares["seconds_cache_read"],
        "augment: model and cache write": shares["seconds_model"]
        + shares["seconds_cache_write"]
        + shares["seconds_waiting"],
        "exported_job_postings": steps["exported_job_postings"],
        "Dagster start-up, checks, run overhead": max(0.0, warm.wall_seconds - sum(steps.values())),
    }
    figure, axis = plt.subplots(figsize=(9, 2.8))
    left = 0.0
    for label, seconds in parts.items():
        axis.barh([0], [seconds], left=left, label=f"{label} ({seconds:.1f} s)")
        left += seconds
    axis.set_yticks([])
    axis.set_xlabel("seconds of the warm day's wall time")
    axis.set_title(f"Warm day: {warm.lines:,} lines in {warm.wall_seconds:.1f} s")
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
