"""What the flow reads but does not make: the scraper's raw files and the seniority model, as external assets
so the asset graph shows the lineage from the scraper's prefix to the warehouse."""

import dagster as dg

scraped_job_postings = dg.AssetSpec(
    "scraped_job_postings",
    group_name="external",
    kinds={"s3"},
    description="JSONL files of job postings, one a minute, that the scraper drops into RAW_POSTINGS_URI "
    "(named `<unix seconds>.jsonl`; a file's partition is the UTC date of that time).",
)

seniority_model = dg.AssetSpec(
    "seniority_model",
    group_name="external",
    kinds={"grpc"},
    description="The gRPC seniority model at SENIORITY_MODEL_TARGET (`seniority-model serve`), asked only "
    "for pairs the cache has not seen under its version.",
)

pushed_request_parts = dg.AssetSpec(
    "pushed_request_parts",
    group_name="external",
    kinds={"s3"},
    description="Parts of postings other services push through the HTTP API (`enrichment-platform api`), "
    "stored under REQUESTS_URI/<erid>/parts/ and listed in order by the request's closed.json once it is "
    "closed.",
)
