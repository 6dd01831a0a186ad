"""The freshness benchmark's report: per file, from landing to its output, split by what the instance
recorded of the run that processed it (sensor tick, queue, run start-up, each step); percentiles, tables."""

from dataclasses import dataclass, field

import dagster as dg
import numpy as np

RAW_STEP = "raw_job_postings"
EXPORT_STEP = "exported_job_postings"
EVENTS = (
    dg.DagsterEventType.RUN_DEQUEUED,
    dg.DagsterEventType.RUN_STARTING,
    dg.DagsterEventType.RUN_START,
    dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
)


@dataclass
class RunTimes:
    """When the instance saw a run created, dequeued, started and ended, and each step's start and end."""

    run_id: str
    partition: str
    newest_file: str
    new_files: int
    status: str
    created: float
    dequeued: float = 0.0
    started: float = 0.0
    ended: float = 0.0
    steps: dict[str, list[float]] = field(default_factory=dict)

    @property
    def step_seconds(self) -> dict[str, float]:
        return {key: round(end - start, 2) for key, (start, end) in self.steps.items() if end}


def run_times(instance: dg.DagsterInstance, partitions: list[str], created_after: float) -> list[RunTimes]:
    """The timings of every run of `partitions` created after `created_after` (unix seconds)."""
    found = []
    for partition in partitions:
        records = instance.get_run_records(dg.RunsFilter(tags={"dagster/partition": partition}))
        for record in records:
            created = record.create_timestamp.timestamp()
            if created < created_after:
                continue
            run = record.dagster_run
            times = RunTimes(
                run_id=run.run_id,
                partition=partition,
                newest_file=run.tags.get("enrichment/newest_file", ""),
                new_files=int(run.tags.get("enrichment/new_files", 0)),
                status=run.status.value,
                created=created,
            )
            for entry in instance.all_logs(run.run_id, of_type=set(EVENTS)):
                event_type, at = entry.dagster_event.event_type, entry.timestamp
                if event_type == dg.DagsterEventType.RUN_DEQUEUED:
                    times.dequeued = at
                elif event_type == dg.DagsterEventType.RUN_STARTING and not times.dequeued:
                    times.dequeued = at  # launched: the coordinator took it off the queue
                elif event_type == dg.DagsterEventType.RUN_START:
                    times.started = at
                elif event_type in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
                    times.ended = at
                elif event_type == dg.DagsterEventType.STEP_START:
                    times.steps.setdefault(entry.step_key, [at, 0.0])
                else:
                    times.steps.setdefault(entry.step_key, [at, 0.0])[1] = at
            found.append(times)
    return sorted(found, key=lambda times: times.created)


def file_breakdown(
    name: str, partition: str, landed: float, visible: float | None, runs: list[RunTimes]
) -> dict:
    """A file's latency and where it went in the run that processed it (the first whose raw step started after
    it landed: a run requested for earlier files takes along the files that landed before its listing): from
    landing to that run's creation (negative for such a run), the queue, the run's start-up, and its steps up
    to the end of the export."""
    run = next(
        (
            r
            for r in runs
            if r.partition == partition
            and r.status == "SUCCESS"
            and r.steps.get(RAW_STEP, [0.0])[0] >= landed
        ),
        None,
    )
    row = {
        "file": name,
        "landed": round(landed, 3),
        "visible": round(visible, 3) if visible else None,
        "latency_seconds": round(visible - landed, 2) if visible else None,
    }
    if run is None:
        return row
    export_end = run.steps.get(EXPORT_STEP, [0.0, 0.0])[1]
    row.update(
        {
            "run_id": run.run_id,
            "files_requested_for_run": run.new_files,
            "run_created_after_landing_seconds": round(run.created - landed, 2),
            "queue_seconds": round((run.dequeued or run.created) - run.created, 2),
            "start_up_seconds": round(run.started - (run.dequeued or run.created), 2)
            if run.started
            else None,
            "steps_to_export_seconds": round(export_end - run.started, 2) if export_end else None,
            "run_seconds": round(run.ended - run.started, 2) if run.ended else None,
            "step_seconds": run.step_seconds,
        }
    )
    return row


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else 0.0


def summarize(rows: list[dict], baseline: dict | None) -> dict:
    """p50/p95/max of the latency and the median of each part of it, for the full day's files (and the one
    file into an empty partition)."""
    latencies = [row["latency_seconds"] for row in rows if row["latency_seconds"] is not None]
    parts = (
        "run_created_after_landing_seconds",
        "queue_seconds",
        "start_up_seconds",
        "steps_to_export_seconds",
        "run_seconds",
    )
    steps: dict[str, list[float]] = {}
    for row in rows:
        for key, seconds in row.get("step_seconds", {}).items():
            steps.setdefault(key, []).append(seconds)
    return {
        "files": len(rows),
        "files_visible": len(latencies),
        "latency_p50_seconds": percentile(latencies, 50),
        "latency_p95_seconds": percentile(latencies, 95),
        "latency_max_seconds": round(max(latencies), 2) if latencies else None,
        "median_seconds": {
            part: percentile([row[part] for row in rows if row.get(part) is not None], 50) for part in parts
        },
        "median_step_seconds": {key: percentile(values, 50) for key, values in sorted(steps.items())},
        "empty_partition": baseline,
    }


def markdown(config: dict, summary: dict, rows: list[dict]) -> str:
    baseline = summary["empty_partition"] or {}
    lines = [
        "# Freshness at the end of a day",
        "",
        f"{config['history_files']} files already processed in today's partition ({config['lines']} lines "
        f"each), then {config['files']} new files, one every {config['interval']} s; the sensor's interval "
        "is its default (30 s).",
        "",
        "| figure | full day | empty partition (one file) |",
        "|---|---:|---:|",
        f"| latency p50 (landing → output visible) | {summary['latency_p50_seconds']} s | "
        f"{baseline.get('latency_seconds', '—')} s |",
        f"| latency p95 | {summary['latency_p95_seconds']} s | |",
        f"| latency max | {summary['latency_max_seconds']} s | |",
    ]
    for part, seconds in summary["median_seconds"].items():
        lines.append(
            f"| median {part.removesuffix('_seconds').replace('_', ' ')} | {seconds} s | "
            f"{baseline.get(part, '—')} s |"
        )
    lines += ["", "| step (median per run) | full day | empty partition |", "|---|---:|---:|"]
    base_steps = baseline.get("step_seconds", {})
    for key, seconds in summary["median_step_seconds"].items():
        lines.append(f"| {key} | {seconds} s | {base_steps.get(key, '—')} s |")
    lines += [
        "",
        "| file | latency | run created after landing | queue | start-up | steps to export | run | files "
        "requested |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['file']} | {row['latency_seconds']} | {row.get('run_created_after_landing_seconds')} | "
            f"{row.get('queue_seconds')} | {row.get('start_up_seconds')} | "
            f"{row.get('steps_to_export_seconds')} | {row.get('run_seconds')} | "
            f"{row.get('files_requested_for_run')} |"
        )
    return "\n".join(lines) + "\n"
