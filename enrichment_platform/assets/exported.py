"""exported_job_postings: one augmented JSONL object per raw file, written whole to AUGMENTED_POSTINGS_URI."""

import dagster as dg

from enrichment_platform.assets import augmented, raw
from enrichment_platform.assets.incremental import IncrementalConfig, process_pending_files, retry_policy
from enrichment_platform.core.splice import decode_levels, splice_seniority
from enrichment_platform.partitions import daily_partitions
from enrichment_platform.resources.s3 import PostingsStorage

ASSET_NAME = "exported_job_postings"


@dg.asset(
    name=ASSET_NAME,
    partitions_def=daily_partitions,
    deps=[augmented.seniority_augmented_postings],
    group_name="job_postings",
    kinds={"s3"},
    retry_policy=retry_policy(),
    description="Every valid posting with its original bytes and `\"seniority\": N` added as the last field, "
    "at AUGMENTED_POSTINGS_URI/<same file name>. Each object is written in one PUT, so it is never partial.",
)
def exported_job_postings(
    context: dg.AssetExecutionContext, config: IncrementalConfig, storage: PostingsStorage
) -> dg.MaterializeResult:
    partition_key = context.partition_key
    raw_staged = storage.staging(raw.ASSET_NAME, partition_key)
    levels_staged = storage.staging(augmented.ASSET_NAME, partition_key)
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    sources = {
        name: f"{raw_files[name]['staged']}+{entry['staged']}"
        for name, entry in storage.read_manifest(augmented.ASSET_NAME, partition_key).files.items()
        if name in raw_files
    }

    def export_file(name: str) -> dict:
        lines = augmented.staged_lines(storage.get(raw_staged, name))
        levels = decode_levels(storage.get(levels_staged, name))
        return {"lines": len(lines), "etag": storage.put(storage.augmented, name, splice_seniority(lines, levels))}

    run = process_pending_files(context, storage, sources, config.full_refresh, export_file)
    return dg.MaterializeResult(
        metadata={
            "files_in_partition": run.files_total,
            "files_processed": run.files_processed,
            "lines_written": run.totals["lines"],
            "dagster/row_count": run.manifest.total("lines"),
            "seconds": round(run.seconds, 3),
            "output": dg.MetadataValue.path(storage.augmented.uri),
        }
    )
