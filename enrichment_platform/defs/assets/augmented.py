"""seniority_augmented_postings: a seniority level for every valid posting, from the cache or the model."""

import time
import uuid
from collections.abc import Callable
from functools import partial

import dagster as dg
import numpy as np

from enrichment_platform.cache.connection import redacted_url
from enrichment_platform.cache.known_levels import KnownLevels
from enrichment_platform.defs.assets import raw
from enrichment_platform.defs.assets.external import seniority_model
from enrichment_platform.defs.assets.file_loop import (
    IncrementalConfig,
    dead_letter_metadata,
    partition_figures,
    retry_policy,
)
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.pipeline.augment import AugmentStats, DistinctPairs, level_facts, seniority_of_pairs
from enrichment_platform.pipeline.chunks import streaming_slots
from enrichment_platform.pipeline.hand_off import LocalStage, load_pairs
from enrichment_platform.pipeline.incremental import process_pending_files
from enrichment_platform.pipeline.levels_batch import LevelsBatch, batch_names, referenced_objects
from enrichment_platform.pipeline.storage import MANIFEST_NAME
from enrichment_platform.pipeline.streamed import seniority_of_parts, staged_parts
from enrichment_platform.postings.template import encode_levels

ASSET_NAME = "seniority_augmented_postings"
# Dagster concurrency pool of the model-bound step; its limit is the instance's `concurrency: pools` setting.
MODEL_POOL = "seniority_model"
# A staged object the manifest no longer points to is removed once it is this old: a full refresh replaced
# it, or a run's checkpoint wrote it in vain (younger ones may belong to a run still going).
UNREFERENCED_BATCH_SECONDS = 3_600.0
TIMED_STAGES = (
    "seconds_normalize",
    "seconds_cache_read",
    "seconds_model",
    "seconds_cache_write",
    "seconds_waiting",
)


def cache_then_model(
    cache: SeniorityCache, model: SeniorityModelClient, namespace: str, known: KnownLevels
) -> Callable[..., tuple[np.ndarray, AugmentStats]]:
    """`seniority_of_pairs` bound to the cache (read through this run's known levels) and the model; each
    call claims its misses under an owner of its own, so concurrent files, parts and runs wait for each
    other instead of asking the model twice."""
    store = known.store_through(partial(cache.store, namespace))

    def seniority(pairs: DistinctPairs, **timing: float) -> tuple[np.ndarray, AugmentStats]:
        owner = uuid.uuid4().hex[:12]
        return seniority_of_pairs(
            pairs,
            lookup=known.lookup_through(partial(cache.lookup_and_claim, namespace, owner=owner)),
            infer=model.infer,
            store=store,
            release=partial(cache.release, namespace, owner=owner),
            **timing,
        )

    return seniority


def hit_rate(hits: int, looked_up: int) -> float:
    return round(hits / looked_up, 4) if looked_up else 0.0


@dg.asset(
    name=ASSET_NAME,
    partitions_def=daily_partitions,
    deps=[raw.raw_job_postings, seniority_model],
    group_name="job_postings",
    kinds={"redis", "python"},
    retry_policy=retry_policy(),
    pool=MODEL_POOL,
    description="Seniority (1..7) of every valid posting, one digit per line, staged in STAGING_URI (the "
    "files of each checkpoint in one object). Pairs are "
    "normalized and deduplicated; the Redis cache answers pairs seen before under this model version, and "
    "only the rest go to the gRPC model.",
)
def seniority_augmented_postings(
    context: dg.AssetExecutionContext,
    config: IncrementalConfig,
    storage: PostingsStorage,
    cache: SeniorityCache,
    model: SeniorityModelClient,
) -> dg.MaterializeResult:
    partition_key = context.partition_key
    stage = LocalStage(context.run_id, partition_key)
    staged = storage.staging(ASSET_NAME, partition_key)
    cache.ping()
    risks = cache.durability_risks()
    for risk in risks:  # losing the cache costs hours of model time to fill it again
        context.log.warning(
            f"the Redis cache at {redacted_url(cache.redis_url)} may lose levels silently: {risk}"
        )
    namespace = model.model_version()
    raw_files = storage.read_manifest(raw.ASSET_NAME, partition_key).files
    # The model version is part of each input's version: after a model change every file is redone.
    sources = {name: f"{entry['source']}@{namespace}" for name, entry in raw_files.items()}
    batch = LevelsBatch(batch_names(context.run_id))
    # Pairs common to many files are asked of Redis once in this run (levels do not change within a version).
    known = KnownLevels()
    seniority = cache_then_model(cache, model, namespace, known)

    def put_batch() -> None:
        """Before a checkpoint records files' levels, the object holding them is written."""
        taken = batch.take()
        if taken is not None:
            storage.put(staged, *taken, "application/octet-stream")

    def augment_file(name: str) -> dict:
        started = time.perf_counter()
        etag = raw_files[name]["source"]
        # Normalized and fingerprinted by raw_job_postings' workers; rebuilt from S3 if not staged here.
        parts = staged_parts(stage, storage, name, etag)
        if parts:  # a file larger than a chunk, a part at a time
            with streaming_slots:
                levels, stats = seniority_of_parts(stage, name, etag, parts, seniority)
        else:
            pairs = load_pairs(stage, storage, name, etag)
            levels, stats = seniority(pairs, seconds_normalize=time.perf_counter() - started)
        digits = encode_levels(levels)
        where = batch.add(digits)  # written to S3 with the other files of this checkpoint
        stage.write("levels", name, where["levels_hash"], digits)
        return {
            **where,
            "model_version": namespace,
            **level_facts(levels, stats),
            **{stage_name: round(getattr(stats, stage_name), 4) for stage_name in TIMED_STAGES},
        }

    run = process_pending_files(
        ASSET_NAME,
        partition_key,
        context.log,
        storage,
        sources,
        config.full_refresh,
        augment_file,
        before_checkpoint=put_batch,
    )
    keep = referenced_objects(run.manifest.files) | {MANIFEST_NAME}
    for name in storage.names_older_than(staged, UNREFERENCED_BATCH_SECONDS):
        if name not in keep:
            storage.delete(staged, name)
    totals = run.totals
    # The partition as it stands; `run_*`: this run's files only. Pairs looked up are the distinct normalized
    # pairs per file, summed over files; pairs waited for were being inferred by another file or run.
    figures = partition_figures(
        run,
        {
            "lines": "lines",
            "pairs_looked_up": "distinct_pairs",
            "cache_hits": "cache_hits",
            "model_requests": "model_requests",
            "pairs_waited_for": "waited_for_others",
        },
    )
    return dg.MaterializeResult(
        metadata={
            "model_version": namespace,
            "redis_durability": "; ".join(risks) or "ok",
            "files_in_partition": run.files_total,
            "files_processed": run.files_processed,
            **figures,
            "cache_hit_rate": hit_rate(figures["cache_hits"], figures["pairs_looked_up"]),
            "run_cache_hit_rate": hit_rate(figures["run_cache_hits"], figures["run_pairs_looked_up"]),
            "cache_hits_in_memory": known.hits,  # pairs answered from what this run had read or stored before
            **{stage_name: round(totals[stage_name], 3) for stage_name in TIMED_STAGES},
            "seconds": round(run.seconds, 3),
            "dagster/row_count": run.manifest.total("lines"),
            **dead_letter_metadata(run),
        }
    )
