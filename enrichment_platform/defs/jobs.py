"""The jobs the sensors launch: one date partition of the whole flow, one pushed request."""

import dagster as dg

from enrichment_platform.defs.assets.augmented import seniority_augmented_postings
from enrichment_platform.defs.assets.exported import exported_job_postings
from enrichment_platform.defs.assets.raw import raw_job_postings
from enrichment_platform.defs.assets.requests import REQUEST_ASSETS
from enrichment_platform.defs.assets.summary import seniority_daily_summary
from enrichment_platform.defs.assets.warehouse import postings_warehouse
from enrichment_platform.defs.partitions import daily_partitions, pushed_requests

# The day's postings from raw files to the warehouse; the job adds the day's summary after them.
DAILY_FLOW_ASSETS = (
    raw_job_postings,
    seniority_augmented_postings,
    exported_job_postings,
    postings_warehouse,
)

enrich_postings_job = dg.define_asset_job(
    name="enrich_postings_job",
    selection=dg.AssetSelection.assets(*DAILY_FLOW_ASSETS, seniority_daily_summary),
    partitions_def=daily_partitions,
    description="Validate, augment and export the raw job postings of one UTC day, load them into the "
    "warehouse and refresh the day's seniority summary.",
)

enrich_request_job = dg.define_asset_job(
    name="enrich_request_job",
    selection=dg.AssetSelection.assets(*REQUEST_ASSETS),
    partitions_def=pushed_requests,
    description="Validate, augment and export the parts of one pushed request (partition: its erid) into its "
    "output.jsonl, quarantine.jsonl and result.json under REQUESTS_URI.",
)
