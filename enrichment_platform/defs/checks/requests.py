"""The contract checks of a pushed request, failing as errors: conservation of lines and seniority in range
(both block the export, so a request that breaks them ends `failed`), and an output line per valid line."""

import dagster as dg

from enrichment_platform.defs.assets.requests import request_augmented_postings, request_exported_postings
from enrichment_platform.defs.checks.problems import listed
from enrichment_platform.defs.partitions import pushed_requests
from enrichment_platform.defs.resources.requests import PushedRequests
from enrichment_platform.pipeline import pushed
from enrichment_platform.postings.quality import pooled_counts
from enrichment_platform.seniority.scale import LEVELS, MAX_LEVEL, MIN_LEVEL


@dg.asset_check(
    asset=request_augmented_postings,
    partitions_def=pushed_requests,
    blocking=True,
    description="Every non-blank line of every part is either valid or quarantined, the validation counts "
    "the lines the intake counted, and every valid line has a seniority.",
)
def request_conservation(
    context: dg.AssetCheckExecutionContext, requests: PushedRequests
) -> dg.AssetCheckResult:
    request = requests.request(context.partition_key)
    validated = request.read_facts(pushed.VALIDATED)
    augmented = {part["part"]: part for part in request.read_facts(pushed.AUGMENTED)}
    problems = []
    for part in validated:
        number, non_blank = part["part"], part["lines"] - part["blank"]
        if part["valid"] + part["quarantined"] != non_blank:
            problems.append(
                f"part {number}: {part['valid']} valid + {part['quarantined']} quarantined != {non_blank}"
            )
        if non_blank != part["intake_lines"]:
            problems.append(
                f"part {number}: {non_blank} non-blank lines, the intake counted {part['intake_lines']}"
            )
        augmented_lines = augmented.get(number, {}).get("lines")
        if augmented_lines != part["valid"]:
            problems.append(
                f"part {number}: {part['valid']} valid lines but {augmented_lines} with a seniority"
            )
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "erid": request.erid,
            "parts": len(validated),
            "non_blank_lines": sum(part["lines"] - part["blank"] for part in validated),
            "valid_lines": sum(part["valid"] for part in validated),
            "quarantined_lines": sum(part["quarantined"] for part in validated),
            "parts_failing": len(problems),
            **listed(problems),
        },
    )


@dg.asset_check(
    asset=request_augmented_postings,
    partitions_def=pushed_requests,
    blocking=True,
    description=f"Every seniority of the request is an integer from {MIN_LEVEL} to {MAX_LEVEL}.",
)
def request_seniority_in_range(
    context: dg.AssetCheckExecutionContext, requests: PushedRequests
) -> dg.AssetCheckResult:
    request = requests.request(context.partition_key)
    parts = request.read_facts(pushed.AUGMENTED)
    problems = [
        f"part {part['part']}: {part['out_of_range']} out of range" for part in parts if part["out_of_range"]
    ]
    distribution = pooled_counts(part["levels"] for part in parts)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "erid": request.erid,
            "out_of_range": sum(part["out_of_range"] for part in parts),
            **{f"level_{level}": count for level, count in zip(LEVELS, distribution)},
            **listed(problems),
        },
    )


@dg.asset_check(
    asset=request_exported_postings,
    partitions_def=pushed_requests,
    description="The request's output holds one line per valid line of its parts, is as large as "
    "written, and its result says done.",
)
def request_output_complete(
    context: dg.AssetCheckExecutionContext, requests: PushedRequests
) -> dg.AssetCheckResult:
    request = requests.request(context.partition_key)
    valid = sum(part["valid"] for part in request.read_facts(pushed.VALIDATED))
    exported = request.read_facts_document(pushed.EXPORTED)
    written = sum(part["lines"] for part in exported["parts"])
    size = request.output_size()
    result = request.result() or {}
    problems = []
    if written != valid:
        problems.append(f"{valid} valid lines but {written} output lines")
    if size != exported["output_bytes"]:
        problems.append(f"{exported['output_bytes']} bytes written but the output object holds {size}")
    if result.get("status") != "done":
        problems.append(f"result.json says {result.get('status')}, not done")
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={"erid": request.erid, "valid_lines": valid, "output_lines": written, **listed(problems)},
    )


REQUEST_CHECKS = [request_conservation, request_seniority_in_range, request_output_complete]
