"""The warehouse's check: each file's rows in PostgreSQL match its exported and quarantined lines."""

from datetime import date

import dagster as dg

from enrichment_platform.defs.assets import exported, raw, warehouse
from enrichment_platform.defs.checks.problems import listed
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.defs.resources.warehouse import PostgresWarehouse

LOADED_ASSET = warehouse.ASSET_NAME  # the check's `warehouse` argument is the database resource


@dg.asset_check(
    asset=warehouse.postings_warehouse,
    partitions_def=daily_partitions,
    blocking=True,
    description="Per file: job_postings rows = exported lines and quarantined_lines rows = quarantined "
    "lines; files that differ are named in the metadata. In a run that loaded files, the files it loaded "
    "(the day's others were checked by the runs that loaded them); otherwise, as when run alone, every file "
    "of the day.",
)
def warehouse_rows_match_files(
    context: dg.AssetCheckExecutionContext, storage: PostingsStorage, warehouse: PostgresWarehouse
) -> dg.AssetCheckResult:
    partition_key = context.partition_key
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    exported_files = storage.read_manifest(exported.ASSET_NAME, partition_key).files
    loaded_files = storage.read_manifest(LOADED_ASSET, partition_key).files
    # Counting a whole day's rows takes seconds at the end of a day: a run's check counts its own files.
    loaded_now = sorted(
        name for name, entry in loaded_files.items() if entry.get("loaded_by_run") == context.run.run_id
    )
    loader = warehouse.open()
    try:
        counts = loader.row_counts(date.fromisoformat(partition_key), loaded_now or None)
    finally:
        loader.close()
    problems = []
    checked = loaded_now or sorted(set(exported_files) | set(counts))
    for name in checked:
        lines = exported_files.get(name, {}).get("lines", 0)
        quarantined = raw_files.get(name, {}).get("quarantined", 0) if name in exported_files else 0
        rows, quarantine_rows = counts.get(name, (0, 0))
        if (rows, quarantine_rows) != (lines, quarantined):
            problems.append(
                f"{name}: {rows} rows for {lines} exported lines, {quarantine_rows} quarantine rows for "
                f"{quarantined} quarantined lines"
            )
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "partition": partition_key,
            "files": len(exported_files),
            "files_checked": len(checked),
            "rows": sum(rows for rows, _ in counts.values()),
            "quarantine_rows": sum(quarantined for _, quarantined in counts.values()),
            "files_differing": len(problems),
            **listed(problems),
        },
    )
