"""postings_warehouse: each exported file's postings and quarantined lines loaded into PostgreSQL."""

import time
from datetime import date

import dagster as dg

from enrichment_platform.defs.assets import augmented, exported, raw
from enrichment_platform.defs.assets.file_loop import (
    IncrementalConfig,
    dead_letter_metadata,
    partition_figures,
    retry_policy,
)
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.defs.resources.warehouse import PostgresWarehouse
from enrichment_platform.pipeline.hand_off import LocalStage, remove_warehouse_inputs, warehouse_inputs
from enrichment_platform.pipeline.incremental import process_pending_files
from enrichment_platform.warehouse.loader import FILES_LOADED_AT_ONCE

ASSET_NAME = "postings_warehouse"


def current_exports(raw_files: dict, augmented_files: dict, exported_files: dict) -> dict[str, str]:
    """Name -> version of the files whose export is of their current raw and levels: the raw ETag, the levels'
    hash, the output's ETag and the model version. A file exported from an older version waits for its
    export."""
    sources = {}
    for name, entry in exported_files.items():
        levels = augmented_files.get(name)
        if name not in raw_files or levels is None:
            continue
        if entry["source"] == f"{raw_files[name]['source']}+{levels['levels_hash']}":
            sources[name] = f"{entry['source']}+{entry['etag']}@{levels['model_version']}"
    return sources


@dg.asset(
    name=ASSET_NAME,
    partitions_def=daily_partitions,
    deps=[exported.exported_job_postings],
    group_name="job_postings",
    kinds={"postgres"},
    retry_policy=retry_policy(),
    description="The day's postings in PostgreSQL (WAREHOUSE_URL, schema WAREHOUSE_SCHEMA): one "
    "`job_postings` row per output line and one `quarantined_lines` row per rejected line, each file's rows "
    "replaced in one transaction, so a rerun or a replaced file never duplicates a row.",
)
def postings_warehouse(
    context: dg.AssetExecutionContext,
    config: IncrementalConfig,
    storage: PostingsStorage,
    warehouse: PostgresWarehouse,
) -> dg.MaterializeResult:
    partition_key = context.partition_key
    day = date.fromisoformat(partition_key)
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    augmented_files = storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    exported_files = storage.read_manifest(exported.ASSET_NAME, partition_key).files
    sources = current_exports(raw_files, augmented_files, exported_files)
    stage = LocalStage(context.run_id, partition_key)  # what this run's earlier steps read and wrote
    loader = warehouse.open()

    def load_file(name: str) -> dict:
        raw_etag, output_etag = raw_files[name]["source"], exported_files[name]["etag"]
        quarantined = bool(raw_files[name]["quarantined"])
        raw_data, output, quarantine = warehouse_inputs(
            stage, storage, name, raw_etag, quarantined, output_etag
        )
        model_version = augmented_files[name]["model_version"]
        facts = loader.load_pieces(day, name, model_version, raw_data, output, quarantine)
        remove_warehouse_inputs(stage, name, raw_etag, output_etag)
        return {**facts, "loaded_by_run": context.run_id}  # the warehouse check counts this run's files

    started = time.perf_counter()
    try:
        # An unreachable database or tables of other columns fail the step here.
        loader.prepare(day)
        run = process_pending_files(
            ASSET_NAME,
            partition_key,
            context.log,
            storage,
            sources,
            config.full_refresh,
            load_file,
            in_flight=FILES_LOADED_AT_ONCE,
        )
        indexing_started = time.perf_counter()
        loader.finish(day)  # the day's indexes, built after its rows when the day was empty
        seconds_indexing = time.perf_counter() - indexing_started
        context.log.info(f"{ASSET_NAME} {partition_key}: the day's indexes ready in {seconds_indexing:.1f} s")
    finally:
        loader.close()
    seconds = time.perf_counter() - started
    stage.remove()  # the last step of the flow: this run's hand-offs are no longer needed
    totals = run.totals
    return dg.MaterializeResult(
        metadata={
            "files_in_partition": run.files_total,
            "files_processed": run.files_processed,
            # The partition's rows as they stand; `run_*`: this run's files. Altered rows: postings jsonb
            # refused as they were (see warehouse/).
            **partition_figures(
                run, {"rows": "rows", "quarantine_rows": "quarantine_rows", "altered_rows": "altered_rows"}
            ),
            "seconds": round(seconds, 3),  # the whole step: the tables, the files and the day's indexes
            "seconds_indexing": round(seconds_indexing, 3),
            "rows_per_second": round(totals["rows"] / seconds) if seconds else 0,
            "dagster/row_count": run.manifest.total("rows"),
            "schema": warehouse.schema_name,
            **dead_letter_metadata(run),
        }
    )
