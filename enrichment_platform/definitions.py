"""The one place that wires assets, checks, the sensor, the job and the resources together."""

import dagster as dg

from enrichment_platform.defs import checks
from enrichment_platform.defs.alerts import run_failure_webhook
from enrichment_platform.defs.assets.augmented import seniority_augmented_postings
from enrichment_platform.defs.assets.exported import exported_job_postings
from enrichment_platform.defs.assets.external import (
    pushed_request_parts,
    scraped_job_postings,
    seniority_model,
)
from enrichment_platform.defs.assets.raw import raw_job_postings
from enrichment_platform.defs.assets.requests import REQUEST_ASSETS
from enrichment_platform.defs.assets.summary import seniority_daily_summary
from enrichment_platform.defs.assets.warehouse import postings_warehouse
from enrichment_platform.defs.checks.requests import REQUEST_CHECKS
from enrichment_platform.defs.incidents import check_failure_alerts, raw_silence_alert
from enrichment_platform.defs.jobs import enrich_postings_job, enrich_request_job
from enrichment_platform.defs.request_sensors import pushed_request_failures, pushed_requests_sensor
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.defs.sensors import raw_postings_sensor

defs = dg.Definitions(
    assets=[
        scraped_job_postings,
        seniority_model,
        raw_job_postings,
        seniority_augmented_postings,
        exported_job_postings,
        postings_warehouse,
        seniority_daily_summary,
        pushed_request_parts,
        *REQUEST_ASSETS,
    ],
    asset_checks=[*checks.ALL_CHECKS, *REQUEST_CHECKS],
    jobs=[enrich_postings_job, enrich_request_job],
    sensors=[
        raw_postings_sensor,
        run_failure_webhook,
        check_failure_alerts,
        raw_silence_alert,
        pushed_requests_sensor,
        pushed_request_failures,
    ],
    resources=default_resources(),
    # One process per run: the steps hand parsed files to each other on local disk, and a subprocess per
    # step would add seconds of start-up to every small sensor-triggered run.
    executor=dg.in_process_executor,
)
