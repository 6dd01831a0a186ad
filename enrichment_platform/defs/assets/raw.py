"""raw_job_postings: the day's raw files, validated line by line; bad lines quarantined with a reason."""

import dagster as dg

from enrichment_platform.defs.assets.external import scraped_job_postings
from enrichment_platform.defs.assets.file_loop import (
    IncrementalConfig,
    dead_letter_metadata,
    partition_figures,
    retry_policy,
)
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.pipeline.chunks import chunk_bytes, streaming_slots
from enrichment_platform.pipeline.hand_off import (
    QUARANTINE,
    RAW,
    LocalStage,
    validate_and_stage,
    validate_staged,
)
from enrichment_platform.pipeline.incremental import process_pending_files
from enrichment_platform.pipeline.streamed import validate_streamed
from enrichment_platform.pipeline.workers import CpuWorkers

ASSET_NAME = "raw_job_postings"


@dg.asset(
    name=ASSET_NAME,
    partitions_def=daily_partitions,
    deps=[scraped_job_postings],
    group_name="job_postings",
    kinds={"s3"},
    retry_policy=retry_policy(),
    description="Raw JSONL files of one UTC day from RAW_POSTINGS_URI, validated line by line. The manifest "
    "records each file's version (ETag) and counts; rejected lines go to QUARANTINE_URI/<file> with their "
    "line number and reason.",
)
def raw_job_postings(
    context: dg.AssetExecutionContext, config: IncrementalConfig, storage: PostingsStorage
) -> dg.MaterializeResult:
    partition_key = context.partition_key
    stage = LocalStage(context.run_id, partition_key)
    stage.sweep()
    sources = storage.files_of_day(storage.raw, partition_key)
    previous = storage.read_manifest(ASSET_NAME, partition_key).files
    workers = CpuWorkers()  # validation is CPU-bound: worker processes do it beside this process' downloads

    def validate_file(name: str) -> dict:
        etag = sources[name]
        data = storage.get_unless_larger(storage.raw, name, etag, chunk_bytes())
        if data is None:  # larger than a chunk: read again, a chunk at a time
            with streaming_slots:
                facts = validate_streamed(stage, storage, name, etag)
            if facts["quarantined"]:
                with stage.open(QUARANTINE, name, etag) as quarantine:
                    storage.put(storage.quarantine, name, quarantine)
            elif previous.get(name, {}).get("quarantined"):
                storage.delete(storage.quarantine, name)
            return facts
        stage.write(RAW, name, etag, data)  # for the workers and the warehouse
        if workers.processes:  # handed over on local disk, which costs less CPU than the pool's pipe
            facts, quarantine = workers.call(validate_staged, stage, name, etag)
        else:
            facts, quarantine = validate_and_stage(stage, name, etag, data)
        if quarantine:
            storage.put(storage.quarantine, name, quarantine)
            stage.write(QUARANTINE, name, etag, quarantine)
        elif previous.get(name, {}).get("quarantined"):
            storage.delete(storage.quarantine, name)  # an earlier version of this file had bad lines
        return facts

    run = process_pending_files(
        ASSET_NAME, partition_key, context.log, storage, sources, config.full_refresh, validate_file, workers
    )
    manifest = run.manifest
    return dg.MaterializeResult(
        metadata={
            "files_in_partition": run.files_total,
            "files_processed": run.files_processed,
            # The partition as it stands; `run_*`: this run's files only.
            **partition_figures(
                run,
                {
                    "lines": "lines",
                    "blank_lines": "blank",
                    "valid_lines": "valid",
                    "quarantined_lines": "quarantined",
                },
            ),
            "dagster/row_count": manifest.total("valid"),
            "seconds": round(run.seconds, 3),
            "worker_processes": run.worker_processes,  # validating files beside this step's downloads
            "quarantine": dg.MetadataValue.path(storage.quarantine.uri),
            **dead_letter_metadata(run),
        }
    )
