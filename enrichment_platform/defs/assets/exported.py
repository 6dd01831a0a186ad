"""exported_job_postings: one augmented JSONL object per raw file, written whole to AUGMENTED_POSTINGS_URI."""

from collections.abc import Iterator

import dagster as dg

from enrichment_platform.defs.assets import augmented, raw
from enrichment_platform.defs.assets.file_loop import (
    IncrementalConfig,
    dead_letter_metadata,
    partition_figures,
    retry_policy,
    run_selects,
)
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.pipeline.chunks import streaming_slots
from enrichment_platform.pipeline.hand_off import EXPORTED, PARSED, LocalStage, load_template
from enrichment_platform.pipeline.incremental import process_pending_files
from enrichment_platform.pipeline.levels_batch import read_batched_levels
from enrichment_platform.pipeline.streamed import filled_parts, remove_parts, staged_parts
from enrichment_platform.postings.template import fill_seniority

ASSET_NAME = "exported_job_postings"
WAREHOUSE_ASSET = "postings_warehouse"  # downstream: loads what this step leaves in the stage


@dg.asset(
    name=ASSET_NAME,
    partitions_def=daily_partitions,
    deps=[augmented.seniority_augmented_postings],
    group_name="job_postings",
    kinds={"s3"},
    retry_policy=retry_policy(),
    description='Every valid posting with its original bytes and `"seniority": N` added as the last field, '
    "at AUGMENTED_POSTINGS_URI/<same file name>. Each object is written in one PUT (a multipart upload "
    "completed at its end for a file larger than ENRICHMENT_CHUNK_BYTES), so it is never partial.",
)
def exported_job_postings(
    context: dg.AssetExecutionContext, config: IncrementalConfig, storage: PostingsStorage
) -> dg.MaterializeResult:
    partition_key = context.partition_key
    stage = LocalStage(context.run_id, partition_key)
    levels_staged = storage.staging(augmented.ASSET_NAME, partition_key)
    loads_warehouse = run_selects(context, WAREHOUSE_ASSET)
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    levels_files = storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    sources = {
        name: f"{raw_files[name]['source']}+{entry['levels_hash']}"
        for name, entry in levels_files.items()
        if name in raw_files
    }

    def export_streamed(name: str, parts: int, digits: bytes) -> dict:
        """A file larger than a chunk: filled and uploaded a part at a time, staged for the warehouse as
        it goes."""
        source = raw_files[name]["source"]
        with streaming_slots, stage.writer(EXPORTED, name) as staged_output:

            def output_parts() -> Iterator[bytes]:
                for part in filled_parts(stage, name, source, parts, digits):
                    if loads_warehouse:
                        staged_output.write(part)
                    yield part

            etag = storage.put_pieces(storage.augmented, name, output_parts())
            if loads_warehouse:
                staged_output.commit(etag)
        remove_parts(stage, name, source, parts)
        return {"lines": len(digits), "etag": etag}

    def export_file(name: str) -> dict:
        entry = levels_files[name]
        digits = stage.read("levels", name, entry["levels_hash"])
        if digits is None:
            digits = read_batched_levels(storage, levels_staged, name, entry)
        parts = staged_parts(stage, storage, name, raw_files[name]["source"])
        if parts:
            return export_streamed(name, parts, digits)
        template, digit_offsets = load_template(stage, storage, name, raw_files[name]["source"])
        output = fill_seniority(template, digit_offsets, digits)
        etag = storage.put(storage.augmented, name, output)
        stage.remove_file(PARSED, name, raw_files[name]["source"])  # exported: no step reads it again
        if loads_warehouse:
            stage.write(EXPORTED, name, etag, output)  # what the warehouse loads, without downloading it
        return {"lines": len(digit_offsets), "etag": etag}

    run = process_pending_files(
        ASSET_NAME, partition_key, context.log, storage, sources, config.full_refresh, export_file
    )
    if not loads_warehouse:
        stage.remove()  # the last step of this run's flow: its hand-offs are no longer needed
    return dg.MaterializeResult(
        metadata={
            "files_in_partition": run.files_total,
            "files_processed": run.files_processed,
            **partition_figures(run, {"lines_written": "lines"}),  # the partition's; `run_*`: this run's
            "dagster/row_count": run.manifest.total("lines"),
            "seconds": round(run.seconds, 3),
            "output": dg.MetadataValue.path(storage.augmented.uri),
            **dead_letter_metadata(run),
        }
    )
