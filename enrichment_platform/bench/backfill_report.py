"""The backfill benchmark's report: when the model was busy (rebuilt from its request log and capacity), per
second; the backfill's wall time against the pairs it had to ask; the runs; and what the runs were doing
whenever the model stood idle for more than a second."""

from pathlib import Path

from enrichment_platform.bench.freshness_report import RunTimes

# The asset graph's daily group, as "Materialize all" selects it; any other step of a run is an asset check.
ASSETS = (
    "raw_job_postings",
    "seniority_augmented_postings",
    "exported_job_postings",
    "postings_warehouse",
    "seniority_daily_summary",
)
# An idle stretch of the model longer than this is reported with what every run was doing meanwhile.
GAP_SECONDS = 1.0
# A production day: new pairs per date of a realistic backfill, and the endpoint's capacity (pairs/s).
REALISTIC_PAIRS_PER_DATE, REALISTIC_CAPACITY = 187_000, 1_000


def read_requests(request_log: Path) -> list[tuple[float, int]]:
    """(arrival unix time, pairs) of every request the model server logged, in arrival order."""
    lines = request_log.read_text().splitlines() if request_log.exists() else []
    return sorted((float(at), int(pairs)) for at, pairs in (line.split() for line in lines if line.strip()))


def busy_intervals(requests: list[tuple[float, int]], capacity: float) -> list[tuple[float, float]]:
    """When the model was working, as the server's capacity queue books it: each batch starts when it arrives
    or when the one before is done, and lasts pairs / capacity; adjoining batches are merged."""
    intervals: list[tuple[float, float]] = []
    for arrival, pairs in requests:
        start = max(arrival, intervals[-1][1]) if intervals else arrival
        end = start + pairs / capacity
        if intervals and start <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], end)
        else:
            intervals.append((start, end))
    return intervals


def busy_per_second(intervals: list[tuple[float, float]], origin: float, end: float) -> list[float]:
    """The busy share of each whole second from `origin` to `end`."""
    seconds = [0.0] * max(0, int(end - origin + 0.999_999))
    for start, stop in intervals:
        first, last = int(start - origin), int(stop - origin)
        for index in range(max(first, 0), min(last + 1, len(seconds))):
            covered = min(stop, origin + index + 1) - max(start, origin + index)
            seconds[index] += max(0.0, covered)
    return [round(min(share, 1.0), 3) for share in seconds]


def idle_gaps(
    intervals: list[tuple[float, float]], at_least: float = GAP_SECONDS
) -> list[tuple[float, float]]:
    """The stretches between busy intervals longer than `at_least` seconds."""
    return [
        (before[1], after[0])
        for before, after in zip(intervals, intervals[1:])
        if after[0] - before[1] > at_least
    ]


def step_label(step_key: str) -> str:
    """An asset's step by its name; the checks of an asset as `<asset> checks`."""
    if step_key in ASSETS:
        return step_key
    asset = max((name for name in ASSETS if step_key.startswith(f"{name}_")), key=len, default="")
    return f"{asset} checks" if asset else step_key


def phases(run: RunTimes) -> list[tuple[str, float, float]]:
    """A run's life as (what, from, to): queued, starting, each step (an asset's checks as one), and ending
    after its last step."""
    dequeued = run.dequeued or run.started or run.ended
    found = [("queued", run.created, dequeued), ("starting", dequeued, run.started or run.ended)]
    steps = sorted((start, end, key) for key, (start, end) in run.steps.items())
    found += [(step_label(key), start, end or run.ended) for start, end, key in steps]
    last_step_end = max((end for _, end, _ in steps), default=run.started)
    found.append(("ending", last_step_end, run.ended))
    return [(what, start, end) for what, start, end in found if start and end and end > start]


def activity_during(start: float, end: float, runs: list[RunTimes]) -> list[dict]:
    """What each run was doing between `start` and `end`: its phases that overlap, with the seconds of
    overlap."""
    found: dict[tuple[str, str], float] = {}
    for run in runs:
        for what, since, until in phases(run):
            overlap = min(end, until) - max(start, since)
            if overlap > 0:
                found[run.partition, what] = found.get((run.partition, what), 0.0) + overlap
    return [
        {"partition": partition, "phase": what, "seconds": round(seconds, 1)}
        for (partition, what), seconds in found.items()
    ]


def summarize(
    dates: int,
    launched: float,
    requests: list[tuple[float, int]],
    capacity: float,
    distinct_new_pairs: int,
    runs: list[RunTimes],
) -> dict:
    """The figures of one backfill: busy share, wall times and their ratio to pairs / capacity, the fixed
    costs at either end, the idle gaps with what the runs were doing, and the busy share per second."""
    intervals = busy_intervals(requests, capacity)
    first_request = requests[0][0] if requests else launched
    busy_end = intervals[-1][1] if intervals else launched
    last_run_end = max((run.ended for run in runs), default=launched)
    busy = sum(end - start for start, end in intervals)
    window = busy_end - first_request
    ideal = distinct_new_pairs / capacity
    gaps = idle_gaps(intervals)
    wall = last_run_end - launched
    return {
        "dates": dates,
        "capacity": capacity,
        "distinct_new_pairs": distinct_new_pairs,
        "pairs_asked": sum(pairs for _, pairs in requests),
        "requests": len(requests),
        "mean_batch": round(sum(pairs for _, pairs in requests) / len(requests), 1) if requests else 0,
        "ideal_seconds": round(ideal, 1),
        "wall_seconds": round(wall, 1),
        "wall_ratio": round(wall / ideal, 3) if ideal else None,
        "model_window_seconds": round(window, 1),
        "model_window_ratio": round(window / ideal, 3) if ideal else None,
        "busy_seconds": round(busy, 1),
        "busy_share": round(busy / window, 4) if window else 0.0,
        "launch_to_first_run_seconds": round(
            min((run.created for run in runs), default=launched) - launched, 1
        ),
        "launch_to_first_request_seconds": round(first_request - launched, 1),
        "last_request_to_last_run_end_seconds": round(last_run_end - busy_end, 1),
        "idle_in_gaps_seconds": round(sum(end - start for start, end in gaps), 1),
        "idle_in_short_pauses_seconds": round(window - busy - sum(end - start for start, end in gaps), 1),
        "gaps": [
            {
                "from_launch_seconds": round(start - launched, 1),
                "seconds": round(end - start, 1),
                "activity": activity_during(start, end, runs),
            }
            for start, end in gaps
        ],
        "before_first_request": activity_during(launched, first_request, runs),
        "runs": [
            {
                "partition": run.partition,
                "status": run.status,
                **{
                    name: round(at - launched, 1) if at else None
                    for name, at in (
                        ("created", run.created),
                        ("dequeued", run.dequeued),
                        ("started", run.started),
                        ("ended", run.ended),
                    )
                },
                "step_seconds": run.step_seconds,
                "phases_from_launch": [
                    [what, round(since - launched, 1), round(until - launched, 1)]
                    for what, since, until in phases(run)
                ],
            }
            for run in sorted(runs, key=lambda run: run.partition)
        ],
        "busy_per_second": {
            "origin_from_launch_seconds": round(first_request - launched, 1),
            "shares": busy_per_second(intervals, first_request, busy_end),
        },
    }


def projected_ratio(summary: dict, dates: int, pairs_per_date: int, capacity: float) -> float:
    """The wall ratio at another scale if the costs at either end stay what they were here, the idle gaps
    between runs stay as long per date, and the short pauses grow with the model's work."""
    ideal = pairs_per_date * dates / capacity
    short_pauses = summary["idle_in_short_pauses_seconds"] / max(summary["busy_seconds"], 1e-9)
    ends = summary["launch_to_first_request_seconds"] + summary["last_request_to_last_run_end_seconds"]
    gaps = summary["idle_in_gaps_seconds"] / summary["dates"] * dates
    return round((ideal * (1 + short_pauses) + ends + gaps) / ideal, 3)


def describe_activity(activity: list[dict]) -> str:
    return "; ".join(f"{item['partition']} {item['phase']} {item['seconds']} s" for item in activity)


def markdown(config: dict, summary: dict) -> str:
    """The summary as a page: the two goals, the fixed costs, the runs and the idle gaps."""
    lines = [
        "# Cold backfill: is the model kept busy?",
        "",
        f"One backfill of {config['dates']} dates from the asset graph (the daemon, the run queue of "
        f"`{config['instance_config']}`), {config['files']} files of {config['lines_per_file']} lines per "
        f"date, a cold cache, the model at {summary['capacity']:g} pairs/s.",
        "",
        "| figure | value | goal |",
        "|---|---:|---:|",
        f"| model busy, first request → last answer | {summary['busy_share']:.1%} | ≥ 95 % |",
        f"| backfill wall (launch → last run ended) | {summary['wall_seconds']} s | |",
        f"| distinct new pairs ÷ capacity | {summary['ideal_seconds']} s | |",
        f"| wall ÷ (pairs ÷ capacity) | {summary['wall_ratio']} | ≤ 1.10 |",
        f"| model window (first request → last answer) | {summary['model_window_seconds']} s | |",
        f"| model window ÷ (pairs ÷ capacity) | {summary['model_window_ratio']} | |",
        f"| launch → first run created (the backfill daemon's pass) | "
        f"{summary['launch_to_first_run_seconds']} s | |",
        f"| launch → first model request | {summary['launch_to_first_request_seconds']} s | |",
        f"| last answer → last run ended | {summary['last_request_to_last_run_end_seconds']} s | |",
        f"| model idle in gaps > {GAP_SECONDS:g} s | {summary['idle_in_gaps_seconds']} s | |",
        f"| model idle in shorter pauses | {summary['idle_in_short_pauses_seconds']} s | |",
        f"| distinct new pairs / pairs asked of the model | {summary['distinct_new_pairs']:,} / "
        f"{summary['pairs_asked']:,} | |",
        f"| requests (mean batch) | {summary['requests']:,} ({summary['mean_batch']}) | |",
        "",
        f"With the same costs at either end, gaps per date and short pauses, {summary['dates']} dates of "
        f"{REALISTIC_PAIRS_PER_DATE:,} new pairs at {REALISTIC_CAPACITY:,} pairs/s would take "
        f"{projected_ratio(summary, summary['dates'], REALISTIC_PAIRS_PER_DATE, REALISTIC_CAPACITY)} × "
        "pairs ÷ capacity.",
        "",
        "| date | status | created | dequeued | started | ended | steps (s) |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for run in summary["runs"]:
        grouped: dict[str, float] = {}
        for what, since, until in run["phases_from_launch"]:
            if what not in ("queued", "starting", "ending"):
                grouped[what] = grouped.get(what, 0.0) + until - since
        steps = ", ".join(f"{what} {seconds:.1f}" for what, seconds in grouped.items())
        lines.append(
            f"| {run['partition']} | {run['status']} | {run['created']} | {run['dequeued']} | "
            f"{run['started']} | {run['ended']} | {steps} |"
        )
    lines += [
        "",
        "Times in seconds from the launch.",
        "",
        f"Before the first model request: {describe_activity(summary['before_first_request'])}.",
        "",
        f"| model idle from | for | what the runs were doing meanwhile (> {GAP_SECONDS:g} s gaps) |",
        "|---:|---:|---|",
    ]
    lines += [
        f"| {gap['from_launch_seconds']} s | {gap['seconds']} s | {describe_activity(gap['activity'])} |"
        for gap in summary["gaps"]
    ]
    return "\n".join(lines) + "\n"


def chart(summary: dict, path: Path) -> None:
    """The busy share per second above each run's phases, on one time axis from the launch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = summary["runs"]
    figure, (busy_axis, runs_axis) = plt.subplots(
        2, 1, sharex=True, figsize=(12, max(5.5, 3 + 0.4 * len(runs))), height_ratios=[2, 1 + 0.3 * len(runs)]
    )
    series = summary["busy_per_second"]
    origin = series["origin_from_launch_seconds"]
    shares = series["shares"]
    busy_axis.fill_between(
        [origin + index for index in range(len(shares))], shares, step="post", color="tab:blue", alpha=0.7
    )
    busy_axis.set_ylim(0, 1.05)
    busy_axis.set_ylabel("model busy share")
    busy_axis.set_title(
        f"busy {summary['busy_share']:.1%} between first and last request; "
        f"wall {summary['wall_seconds']} s = {summary['wall_ratio']} × pairs ÷ capacity"
    )
    colors = {"queued": "gainsboro", "starting": "darkgrey", "ending": "dimgrey"}
    palette = plt.get_cmap("tab10").colors
    for row, run in enumerate(runs):
        for what, start, end in run["phases_from_launch"]:
            color = colors.setdefault(what, palette[(len(colors) - 3) % 10])
            runs_axis.barh(row, end - start, left=start, color=color, label=what)
    handles, labels = runs_axis.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    runs_axis.legend(unique.values(), unique.keys(), fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    runs_axis.set_yticks(range(len(runs)), [run["partition"] for run in runs])
    runs_axis.set_xlabel("seconds from the launch")
    runs_axis.set_xlim(0, summary["wall_seconds"] + 1)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
