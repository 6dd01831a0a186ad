"""The data-quality checks, warnings on the data itself: schema completeness and duplicate urls of the raw
postings, freshness of today's raw files, and drift of the level mix from the week before."""

import time
from datetime import date, timedelta

import dagster as dg

from enrichment_platform.arrivals.file_names import day_bounds, file_timestamp, partition_key_for_timestamp
from enrichment_platform.defs.assets import augmented, raw
from enrichment_platform.defs.checks.problems import listed
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.postings.quality import (
    level_shares,
    newest_file_age,
    pooled_counts,
    share,
    total_variation_distance,
)

# The scraper's schema makes every field mandatory: more than 1 % of gaps means a layout change upstream.
COMPLETENESS_MIN = 0.99
# Reposted ads repeat a few urls; more than 5 % points at the scraper re-emitting pages it already sent.
DUPLICATE_URL_MAX = 0.05
# A shift of a tenth of the postings between levels is beyond day-to-day variation of the job market.
DRIFT_MAX_DISTANCE = 0.10
DRIFT_HISTORY_PARTITIONS = 7  # a week: weekday and weekend mixes both in the reference
# Below this many lines, sampling noise alone approaches the threshold.
DRIFT_MIN_LINES = 1_000
# Files land about once a minute: half an hour without one means the scraper or the sensor is stuck.
FRESHNESS_MAX_SECONDS = 30 * 60
SCHEMA_FIELDS = ("url", "company", "title", "location", "scraped_on")
WARN = dg.AssetCheckSeverity.WARN


def now_seconds() -> float:
    """The freshness check's clock (a function of its own so tests can set the time)."""
    return time.time()


def _measured(files: dict[str, dict], fact: str) -> tuple[dict[str, dict], int]:
    """The manifest entries that record `fact`, and how many do not (validated before it was recorded)."""
    measured = {name: entry for name, entry in files.items() if fact in entry}
    return measured, len(files) - len(measured)


def _unmeasured_note(unmeasured: int) -> dict:
    if not unmeasured:
        return {}
    return {
        "files_not_measured": unmeasured,
        "note": f"{unmeasured} files were validated before this fact was "
        "recorded and are not counted; materialize raw_job_postings with full_refresh: true to include them",
    }


@dg.asset_check(
    asset=raw.raw_job_postings,
    partitions_def=daily_partitions,
    description=f"Warns when fewer than {COMPLETENESS_MIN:.0%} of the valid postings have every field of the "
    f"posting contract ({', '.join(SCHEMA_FIELDS)}) present and non-null.",
)
def raw_schema_completeness(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    files, unmeasured = _measured(storage.read_manifest(raw.ASSET_NAME, partition_key).files, "complete")
    valid = sum(entry["valid"] for entry in files.values())
    complete = sum(entry["complete"] for entry in files.values())
    rate = share(complete, valid) if valid else 1.0
    problems = [
        f"{name}: {entry['valid'] - entry['complete']} of {entry['valid']} valid postings incomplete"
        for name, entry in sorted(files.items())
        if share(entry["complete"], entry["valid"]) < COMPLETENESS_MIN and entry["valid"]
    ]
    return dg.AssetCheckResult(
        passed=rate >= COMPLETENESS_MIN,
        severity=WARN,
        metadata={
            "partition": partition_key,
            "valid_postings": valid,
            "complete_postings": complete,
            "incomplete_postings": valid - complete,
            "completeness": round(rate, 4),
            "threshold": COMPLETENESS_MIN,
            "files_below_threshold": len(problems),
            **_unmeasured_note(unmeasured),
            **listed(problems),
        },
    )


@dg.asset_check(
    asset=raw.raw_job_postings,
    partitions_def=daily_partitions,
    description=f"Warns when more than {DUPLICATE_URL_MAX:.0%} of the valid postings repeat a url. Repeats "
    "are counted within each file and summed: a url repeated across files of the day is not seen, so the "
    "rate is a lower bound.",
)
def duplicate_url_rate(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    files, unmeasured = _measured(
        storage.read_manifest(raw.ASSET_NAME, partition_key).files, "duplicate_urls"
    )
    valid = sum(entry["valid"] for entry in files.values())
    duplicates = sum(entry["duplicate_urls"] for entry in files.values())
    rate = share(duplicates, valid)
    problems = [
        f"{name}: {entry['duplicate_urls']} of {entry['valid']} valid postings repeat a url of the file"
        for name, entry in sorted(files.items())
        if share(entry["duplicate_urls"], entry["valid"]) > DUPLICATE_URL_MAX
    ]
    return dg.AssetCheckResult(
        passed=rate <= DUPLICATE_URL_MAX,
        severity=WARN,
        metadata={
            "partition": partition_key,
            "valid_postings": valid,
            "duplicate_urls": duplicates,  # postings whose url appeared earlier in the same file
            "duplicate_url_rate": round(rate, 4),
            "threshold": DUPLICATE_URL_MAX,
            "method": "per-file repeats summed (a lower bound: repeats across files are not counted)",
            "files_above_threshold": len(problems),
            **_unmeasured_note(unmeasured),
            **listed(problems),
        },
    )


@dg.asset_check(
    asset=raw.raw_job_postings,
    partitions_def=daily_partitions,
    description=f"For today's partition (UTC), warns when the newest validated raw file is older than "
    f"{FRESHNESS_MAX_SECONDS // 60} minutes (by the timestamp in its name). Past partitions pass.",
)
def raw_freshness(context: dg.AssetCheckExecutionContext, storage: PostingsStorage) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    now = now_seconds()
    if partition_key != partition_key_for_timestamp(int(now)):
        return dg.AssetCheckResult(
            passed=True,
            severity=WARN,
            metadata={
                "partition": partition_key,
                "note": "past partition: freshness is measured for today's only",
            },
        )
    names = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    newest = max((file_timestamp(name) for name in names), default=None)
    age = newest_file_age(newest, day_bounds(partition_key)[0], now)
    metadata = {
        "partition": partition_key,
        "files_validated": len(names),
        "newest_file": f"{newest}.jsonl"
        if newest is not None
        else "none yet (age counted from midnight UTC)",
        "newest_file_age_seconds": round(age, 1),
        "threshold_seconds": FRESHNESS_MAX_SECONDS,
    }
    return dg.AssetCheckResult(passed=age <= FRESHNESS_MAX_SECONDS, severity=WARN, metadata=metadata)


def _level_table(current: list[int], history: list[int]) -> dg.MetadataValue:
    rows = [
        f"| {level} | {now:.2%} | {before:.2%} |"
        for level, (now, before) in enumerate(zip(level_shares(current), level_shares(history)), start=1)
    ]
    return dg.MetadataValue.md(
        "\n".join(["| level | this partition | trailing partitions |", "|---:|---:|---:|", *rows])
    )


@dg.asset_check(
    asset=augmented.seniority_augmented_postings,
    partitions_def=daily_partitions,
    description="Warns when the partition's mix of levels moves away from that of the "
    f"{DRIFT_HISTORY_PARTITIONS} days before (total variation distance above {DRIFT_MAX_DISTANCE}); days "
    "never processed are skipped.",
)
def seniority_distribution_drift(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    current = pooled_counts(
        e["levels"] for e in storage.read_manifest(augmented.ASSET_NAME, partition_key).files.values()
    )
    day = date.fromisoformat(partition_key)
    history_keys, history = [], pooled_counts([])
    for days_back in range(1, DRIFT_HISTORY_PARTITIONS + 1):
        key = (day - timedelta(days=days_back)).isoformat()
        counts = pooled_counts(
            e["levels"] for e in storage.read_manifest(augmented.ASSET_NAME, key).files.values()
        )
        if sum(counts):
            history_keys.append(key)
            history = pooled_counts([history, counts])
    metadata = {
        "partition": partition_key,
        "lines": sum(current),
        "history_partitions": ", ".join(history_keys) or "none",
        "history_lines": sum(history),
        "threshold": DRIFT_MAX_DISTANCE,
    }
    if not history_keys or sum(current) < DRIFT_MIN_LINES:
        note = (
            f"no augmented partition in the {DRIFT_HISTORY_PARTITIONS} days before: nothing to compare with"
            if not history_keys
            else f"fewer than {DRIFT_MIN_LINES} lines: too few for a stable level mix"
        )
        return dg.AssetCheckResult(passed=True, severity=WARN, metadata={**metadata, "note": note})
    distance = total_variation_distance(current, history)
    return dg.AssetCheckResult(
        passed=distance <= DRIFT_MAX_DISTANCE,
        severity=WARN,
        metadata={
            **metadata,
            "total_variation_distance": round(distance, 4),
            "levels": _level_table(current, history),
        },
    )
