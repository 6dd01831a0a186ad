"""The contract checks, failing as errors: conservation of lines and seniority in range (both
block the export), one output object per input file, and no dead-lettered file for each asset."""

import dagster as dg
import orjson

from enrichment_platform.defs.assets import augmented, exported, raw, warehouse
from enrichment_platform.defs.checks.problems import listed
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.pipeline.dead_letter import one_line
from enrichment_platform.pipeline.storage import DEAD_LETTER_SUFFIX
from enrichment_platform.postings.quality import pooled_counts
from enrichment_platform.seniority.scale import LEVELS, MAX_LEVEL, MIN_LEVEL


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
    description="Every non-blank input line of the files raw_job_postings validated is either valid or "
    "quarantined, and every valid line has a seniority. Dead-lettered files are listed apart and not counted "
    "(their own check fails), so the other files go on.",
)
def conservation(context: dg.AssetCheckExecutionContext, storage: PostingsStorage) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    augmented_files = storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    dead_lettered = _dead_lettered(storage, partition_key, raw.ASSET_NAME, augmented.ASSET_NAME)
    problems, set_aside = [], []
    # The validated files, not a listing of the raw prefix: a file landing while the run goes on is the next
    # run's, not a reason to block this run's export (one_output_per_input names files left without output).
    for name in sorted(set(raw_files) | set(dead_lettered)):
        if name in dead_lettered:
            # Its asset's no_dead_lettered_files check reports it; failing here too would block the export.
            set_aside.append(
                f"{name}: dead-lettered by {dead_lettered[name]}, not counted until it is processed"
            )
            continue
        entry = raw_files[name]
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
            **listed(problems),
            **listed(set_aside, "dead_lettered"),
        },
    )


@dg.asset_check(
    asset=augmented.seniority_augmented_postings,
    partitions_def=daily_partitions,
    blocking=True,
    description=f"Every seniority is an integer from {MIN_LEVEL} to {MAX_LEVEL}.",
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
    distribution = pooled_counts(entry["levels"] for entry in files.values())
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "partition": partition_key,
            "out_of_range": sum(entry["out_of_range"] for entry in files.values()),
            **{f"level_{level}": count for level, count in zip(LEVELS, distribution)},
            **listed(problems),
        },
    )


@dg.asset_check(
    asset=exported.exported_job_postings,
    partitions_def=daily_partitions,
    description="The output prefix holds exactly one object per raw file of the day (validated or "
    "dead-lettered by raw_job_postings), with one line per valid line.",
)
def one_output_per_input(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    outputs = set(storage.files_of_day(storage.augmented, partition_key))
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    exported_files = storage.read_manifest(exported.ASSET_NAME, partition_key).files
    dead_lettered = _dead_lettered(
        storage, partition_key, raw.ASSET_NAME, augmented.ASSET_NAME, exported.ASSET_NAME
    )
    # The raw files the run saw (its raw step listed the prefix), not a listing of their own: a file landing
    # while the run goes on is the next run's.
    inputs = set(raw_files) | set(dead_lettered)
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
            **listed(problems),
        },
    )


def _no_dead_lettered_files(asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    """The check, for one asset, that no file of the partition is dead-lettered."""
    asset_name = asset.key.to_user_string()

    @dg.asset_check(
        asset=asset,
        name="no_dead_lettered_files",
        partitions_def=daily_partitions,
        description=f"Fails while {asset_name} has set aside (dead-lettered) files of the partition that "
        "failed every attempt; their errors are in the metadata and under STAGING_URI/dead-letter/. The next "
        "run tries them again.",
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
                **listed(problems),
            },
        )

    return no_dead_lettered_files


no_dead_lettered_raw = _no_dead_lettered_files(raw.raw_job_postings)
no_dead_lettered_augmented = _no_dead_lettered_files(augmented.seniority_augmented_postings)
no_dead_lettered_exported = _no_dead_lettered_files(exported.exported_job_postings)
no_dead_lettered_warehouse = _no_dead_lettered_files(warehouse.postings_warehouse)
