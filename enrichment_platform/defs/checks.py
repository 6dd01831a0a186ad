"""Data quality checks: conservation of lines, seniority range, one export per input file, no dead-lettered
file (blocking or errors), and warnings on the data itself: schema completeness, duplicate urls, level drift,
freshness."""

import time
import warnings
from datetime import date, timedelta

import dagster as dg
import orjson

from enrichment_platform.arrivals.file_names import day_bounds, file_timestamp, partition_key_for_timestamp
from enrichment_platform.defs.assets import augmented, exported, raw
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import DEAD_LETTER_SUFFIX, PostingsStorage
from enrichment_platform.pipeline.dead_letter import one_line
from enrichment_platform.postings.quality import (
    level_shares,
    newest_file_age,
    pooled_counts,
    share,
    total_variation_distance,
)

# Partitioned checks show a result per date in the UI and can be run for one date; the API is in preview.
warnings.filterwarnings(
    "ignore", category=dg.PreviewWarning, message="Specifying a partitions_def on an AssetCheckSpec"
)

MAX_LISTED = 20

# The scraper's schema makes every field mandatory: more than 1 % of gaps means a layout change upstream.
COMPLETENESS_MIN = 0.99
# Reposted ads repeat a few urls; more than 5 % points at the scraper re-emitting pages it already sent.
DUPLICATE_URL_MAX = 0.05
# A shift of a tenth of the postings between levels is beyond day-to-day variation of the job market.
DRIFT_MAX_DISTANCE = 0.10
DRIFT_HISTORY_PARTITIONS = 7  # a week: weekday and weekend mixes both in the reference
# Below this many lines, sampling noise alone (about 0.03 at 1,000 lines) approaches the threshold.
DRIFT_MIN_LINES = 1_000
# Files land about once a minute: half an hour without one means the scraper or the sensor is stuck.
FRESHNESS_MAX_SECONDS = 30 * 60
SCHEMA_FIELDS = ("url", "company", "title", "location", "scraped_on")
WARN = dg.AssetCheckSeverity.WARN


def _listed(problems: list[str], key: str = "problems") -> dict:
    return {key: dg.MetadataValue.md("\n".join(f"- {problem}" for problem in problems[:MAX_LISTED]))}


def _dead_lettered(storage: PostingsStorage, partition_key: str, *asset_names: str) -> dict[str, str]:
    """File name -> the first of `asset_names` (in flow order) that dead-lettered it for the partition."""
    found: dict[str, str] = {}
    for asset_name in asset_names:
        for name in storage.dead_lettered_files(asset_name, partition_key):
            found.setdefault(name, asset_name)
    return found


@dg.asset_check(
    asset=augmented.seniority_augmented_postings,
    partitions_def=daily_partitions,
    blocking=True,
    description="Every non-blank input line is either valid or quarantined, and every valid line has a seniority. "
    "Dead-lettered files are listed apart and not counted (their own check fails), so the other files go on.",
)
def conservation(context: dg.AssetCheckExecutionContext, storage: PostingsStorage) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    augmented_files = storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    dead_lettered = _dead_lettered(storage, partition_key, raw.ASSET_NAME, augmented.ASSET_NAME)
    problems, set_aside = [], []
    for name in sorted(storage.files_of_day(storage.raw, partition_key)):
        if name in dead_lettered:
            # Reported red by the asset's no_dead_lettered_files check; failing here too would block the export.
            set_aside.append(
                f"{name}: dead-lettered by {dead_lettered[name]}, not counted until it is processed"
            )
            continue
        entry = raw_files.get(name)
        if entry is None:
            problems.append(f"{name}: not validated yet")
            continue
        non_blank = entry["lines"] - entry["blank"]
        if entry["valid"] + entry["quarantined"] != non_blank:
            problems.append(
                f"{name}: {entry['valid']} valid + {entry['quarantined']} quarantined != {non_blank}"
            )
        augmented_lines = augmented_files.get(name, {}).get("lines")
        if augmented_lines is None:
            problems.append(f"{name}: validated but not augmented yet")
        elif augmented_lines != entry["valid"]:
            problems.append(f"{name}: {entry['valid']} valid lines but {augmented_lines} with a seniority")
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "partition": partition_key,
            "files": len(raw_files),
            "non_blank_lines": sum(e["lines"] - e["blank"] for e in raw_files.values()),
            "valid_lines": sum(e["valid"] for e in raw_files.values()),
            "quarantined_lines": sum(e["quarantined"] for e in raw_files.values()),
            "files_failing": len(problems),
            "files_dead_lettered": len(set_aside),
            **_listed(problems),
            **_listed(set_aside, "dead_lettered"),
        },
    )


@dg.asset_check(
    asset=augmented.seniority_augmented_postings,
    partitions_def=daily_partitions,
    blocking=True,
    description="Every seniority is an integer from 1 to 7.",
)
def seniority_in_range(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    files = storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    problems = [
        f"{name}: {entry['out_of_range']} out of range"
        for name, entry in files.items()
        if entry["out_of_range"]
    ]
    distribution = [sum(entry["levels"][level] for entry in files.values()) for level in range(7)]
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "partition": partition_key,
            "out_of_range": sum(entry["out_of_range"] for entry in files.values()),
            **{f"level_{level + 1}": count for level, count in enumerate(distribution)},
            **_listed(problems),
        },
    )


@dg.asset_check(
    asset=exported.exported_job_postings,
    partitions_def=daily_partitions,
    description="The output prefix holds exactly one object per raw file of the day, with one line per valid line.",
)
def one_output_per_input(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    inputs = set(storage.files_of_day(storage.raw, partition_key))
    outputs = set(storage.files_of_day(storage.augmented, partition_key))
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    exported_files = storage.read_manifest(exported.ASSET_NAME, partition_key).files
    dead_lettered = _dead_lettered(
        storage, partition_key, raw.ASSET_NAME, augmented.ASSET_NAME, exported.ASSET_NAME
    )
    problems = [
        f"{name}: no output" + (f" (dead-lettered by {dead_lettered[name]})" if name in dead_lettered else "")
        for name in sorted(inputs - outputs)
    ]
    problems += [f"{name}: output without input" for name in sorted(outputs - inputs)]
    problems += [
        f"{name}: {entry['lines']} lines written, {raw_files.get(name, {}).get('valid')} valid"
        for name, entry in sorted(exported_files.items())
        if entry["lines"] != raw_files.get(name, {}).get("valid")
    ]
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "partition": partition_key,
            "input_objects": len(inputs),
            "output_objects": len(outputs),
            "dead_lettered_files": len(dead_lettered),
            **_listed(problems),
        },
    )


def _no_dead_lettered_files(asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    """The check, for one asset, that no file of the partition is dead-lettered."""
    asset_name = asset.key.to_user_string()

    @dg.asset_check(
        asset=asset,
        name="no_dead_lettered_files",
        partitions_def=daily_partitions,
        description=f"Fails while {asset_name} has set aside (dead-lettered) files of the partition that failed "
        "every attempt; their errors are in the metadata and under STAGING_URI/dead-letter/. The next run tries "
        "them again.",
    )
    def no_dead_lettered_files(
        context: dg.AssetCheckExecutionContext, storage: PostingsStorage
    ) -> dg.AssetCheckResult:
        location = storage.dead_letters(asset_name, context.partition_key)
        stored = (
            storage.get_if_exists(location, name + DEAD_LETTER_SUFFIX)
            for name in storage.dead_lettered_files(asset_name, context.partition_key)
        )
        records = [orjson.loads(data) for data in stored if data is not None]  # None: processed meanwhile
        problems = [
            f"{r['file']}: {r['attempts']} attempts, the last at {r['failed_at']}: {one_line(r['error'])}"
            for r in records
        ]
        return dg.AssetCheckResult(
            passed=not records,
            metadata={
                "partition": context.partition_key,
                "dead_lettered_files": len(records),
                "dead_letter_prefix": dg.MetadataValue.path(location.uri),
                **_listed(problems),
            },
        )

    return no_dead_lettered_files


no_dead_lettered_raw = _no_dead_lettered_files(raw.raw_job_postings)
no_dead_lettered_augmented = _no_dead_lettered_files(augmented.seniority_augmented_postings)
no_dead_lettered_exported = _no_dead_lettered_files(exported.exported_job_postings)


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
    f"SPEC ({', '.join(SCHEMA_FIELDS)}) present and non-null.",
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
            **_listed(problems),
        },
    )


@dg.asset_check(
    asset=raw.raw_job_postings,
    partitions_def=daily_partitions,
    description=f"Warns when more than {DUPLICATE_URL_MAX:.0%} of the valid postings repeat a url. Repeats are "
    "counted within each file and summed: a url repeated across files of the day is not seen, so the rate is a "
    "lower bound.",
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
            **_listed(problems),
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
    description=f"Warns when the partition's mix of levels moves away from that of the {DRIFT_HISTORY_PARTITIONS} "
    f"days before (total variation distance above {DRIFT_MAX_DISTANCE}); days never processed are skipped.",
)
def seniority_distribution_drift(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    current = pooled_counts(
        e["levels"] for e in storage.read_manifest(augmented.ASSET_NAME, partition_key).files.values()
    )
    day = date.fromisoformat(partition_key)
    history_keys, history = [], [0] * 7
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


# Every check, in the order the UI lists them: the contract checks, then the data-quality warnings.
ALL_CHECKS = [
    conservation,
    seniority_in_range,
    one_output_per_input,
    no_dead_lettered_raw,
    no_dead_lettered_augmented,
    no_dead_lettered_exported,
    raw_schema_completeness,
    duplicate_url_rate,
    raw_freshness,
    seniority_distribution_drift,
]
