"""Data quality checks: conservation of lines, seniority range, one export per input file."""

import warnings

import dagster as dg

from enrichment_platform.assets import augmented, exported, raw
from enrichment_platform.partitions import daily_partitions
from enrichment_platform.resources.s3 import PostingsStorage

# Partitioned checks show a result per date in the UI and can be run for one date; the API is in preview.
warnings.filterwarnings("ignore", category=dg.PreviewWarning, message="Specifying a partitions_def on an AssetCheckSpec")

MAX_LISTED = 20


def _listed(problems: list[str]) -> dict:
    return {"problems": dg.MetadataValue.md("\n".join(f"- {problem}" for problem in problems[:MAX_LISTED]))}


@dg.asset_check(
    asset=augmented.seniority_augmented_postings,
    partitions_def=daily_partitions,
    blocking=True,
    description="Every non-blank input line is either valid or quarantined, and every valid line has a seniority.",
)
def conservation(context: dg.AssetCheckExecutionContext, storage: PostingsStorage) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    augmented_files = storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    problems = []
    for name in sorted(storage.files_of_day(storage.raw, partition_key)):
        entry = raw_files.get(name)
        if entry is None:
            problems.append(f"{name}: not validated yet")
            continue
        non_blank = entry["lines"] - entry["blank"]
        if entry["valid"] + entry["quarantined"] != non_blank:
            problems.append(f"{name}: {entry['valid']} valid + {entry['quarantined']} quarantined != {non_blank}")
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
            **_listed(problems),
        },
    )


@dg.asset_check(
    asset=augmented.seniority_augmented_postings,
    partitions_def=daily_partitions,
    blocking=True,
    description="Every seniority is an integer from 1 to 7.",
)
def seniority_in_range(context: dg.AssetCheckExecutionContext, storage: PostingsStorage) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    files = storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    problems = [f"{name}: {entry['out_of_range']} out of range" for name, entry in files.items() if entry["out_of_range"]]
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
def one_output_per_input(context: dg.AssetCheckExecutionContext, storage: PostingsStorage) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    inputs = set(storage.files_of_day(storage.raw, partition_key))
    outputs = set(storage.files_of_day(storage.augmented, partition_key))
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    exported_files = storage.read_manifest(exported.ASSET_NAME, partition_key).files
    problems = [f"{name}: no output" for name in sorted(inputs - outputs)]
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
            **_listed(problems),
        },
    )
