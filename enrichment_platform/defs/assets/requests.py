"""The assets of a pushed request, partitioned by erid: the daily flow's three steps over the request's parts
(see pipeline/pushed.py), visible in the UI beside the daily ones."""

import dagster as dg

from enrichment_platform.cache.known_levels import KnownLevels
from enrichment_platform.defs.assets.augmented import MODEL_POOL, cache_then_model
from enrichment_platform.defs.assets.external import pushed_request_parts, seniority_model
from enrichment_platform.defs.assets.file_loop import retry_policy
from enrichment_platform.defs.partitions import pushed_requests
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.defs.resources.requests import PushedRequests
from enrichment_platform.pipeline import pushed
from enrichment_platform.pipeline.hand_off import LocalStage

GROUP = "pushed_requests"


@dg.asset(
    name=pushed.VALIDATED,
    partitions_def=pushed_requests,
    deps=[pushed_request_parts],
    group_name=GROUP,
    kinds={"s3"},
    retry_policy=retry_policy(),
    description="A pushed request's parts, in the order closed.json lists them, validated line by line like "
    "the raw files; rejected lines go to REQUESTS_URI/<erid>/quarantine.jsonl, their `line` counting the "
    "lines of all parts.",
)
def request_raw_postings(context: dg.AssetExecutionContext, requests: PushedRequests) -> dg.MaterializeResult:
    request = requests.request(context.partition_key)
    stage = LocalStage(context.run_id, context.partition_key)
    totals = pushed.validate_request(request, stage, context.log.info)
    return dg.MaterializeResult(
        metadata={
            "parts": len(totals.parts),
            "lines": totals.total("lines"),
            "blank_lines": totals.total("blank"),
            "valid_lines": totals.total("valid"),
            "quarantined_lines": totals.total("quarantined"),
            "dagster/row_count": totals.total("valid"),
            "seconds": round(totals.seconds, 3),
            "quarantine": dg.MetadataValue.path(request.uri + pushed.QUARANTINE_NAME),
        }
    )


@dg.asset(
    name=pushed.AUGMENTED,
    partitions_def=pushed_requests,
    deps=[request_raw_postings, seniority_model],
    group_name=GROUP,
    kinds={"redis", "python"},
    retry_policy=retry_policy(),
    pool=MODEL_POOL,
    description="Seniority (1..7) of every valid posting of a pushed request, from the same Redis cache and "
    "model as the daily flow (single flight, the shared capacity), staged as one digit per line.",
)
def request_augmented_postings(
    context: dg.AssetExecutionContext,
    requests: PushedRequests,
    cache: SeniorityCache,
    model: SeniorityModelClient,
) -> dg.MaterializeResult:
    request = requests.request(context.partition_key)
    stage = LocalStage(context.run_id, context.partition_key)
    cache.ping()
    namespace = model.model_version()
    known = KnownLevels()
    seniority = cache_then_model(cache, model, namespace, known)
    totals = pushed.augment_request(request, stage, namespace, seniority, context.log.info)
    distinct = totals.total("distinct_pairs")
    return dg.MaterializeResult(
        metadata={
            "model_version": namespace,
            "parts": len(totals.parts),
            "lines": totals.total("lines"),
            "pairs_looked_up": distinct,
            "cache_hits": totals.total("cache_hits"),
            "cache_hits_in_memory": known.hits,
            "model_requests": totals.total("model_requests"),
            "pairs_waited_for": totals.total("waited_for_others"),
            "cache_hit_rate": round(totals.total("cache_hits") / distinct, 4) if distinct else 0.0,
            "seconds_model": round(sum(part["seconds_model"] for part in totals.parts), 3),
            "seconds": round(totals.seconds, 3),
            "dagster/row_count": totals.total("lines"),
        }
    )


@dg.asset(
    name=pushed.EXPORTED,
    partitions_def=pushed_requests,
    deps=[request_augmented_postings],
    group_name=GROUP,
    kinds={"s3"},
    retry_policy=retry_policy(),
    description='Every valid posting of a pushed request with its original bytes and `"seniority": N` added, '
    "parts in order, written whole to REQUESTS_URI/<erid>/output.jsonl; then result.json marks the request "
    "done (GET /v1/requests/<erid>/output serves it).",
)
def request_exported_postings(
    context: dg.AssetExecutionContext, requests: PushedRequests
) -> dg.MaterializeResult:
    request = requests.request(context.partition_key)
    stage = LocalStage(context.run_id, context.partition_key)
    totals = pushed.export_request(request, stage, context.log.info)
    requests.store().finished(request.erid)
    return dg.MaterializeResult(
        metadata={
            "parts": len(totals.parts),
            "lines_written": totals.total("lines"),
            "dagster/row_count": totals.total("lines"),
            "seconds": round(totals.seconds, 3),
            "output": dg.MetadataValue.path(request.uri + pushed.OUTPUT_NAME),
        }
    )


REQUEST_ASSETS = [request_raw_postings, request_augmented_postings, request_exported_postings]
