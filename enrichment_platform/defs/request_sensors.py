"""pushed_requests_sensor launches one run per closed request; pushed_request_failures marks a request failed
when its run fails for good, so that its status tells the client."""

import dagster as dg

from enrichment_platform.defs.alerts import failure_alert
from enrichment_platform.defs.assets.requests import REQUEST_ASSETS
from enrichment_platform.defs.jobs import enrich_request_job
from enrichment_platform.defs.partitions import pushed_requests
from enrichment_platform.defs.resources.requests import PushedRequests

MAX_REQUESTS_PER_TICK = 100
SENSOR_INTERVAL_SECONDS = 10  # a closed request's run is requested within this long (and one tick's work)
# A client waits for its request: the run queue starts it before daily and backfill runs (priority 0).
REQUEST_PRIORITY = {"dagster/priority": "1"}
REQUEST_KEYS = {asset.key for asset in REQUEST_ASSETS}
REQUEST_STEPS = tuple(asset.op.name for asset in REQUEST_ASSETS)  # a run of other assets fails in none


@dg.sensor(
    job=enrich_request_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Reads the queue of requests closed through the HTTP API (Redis, under REQUESTS_URI) and "
    "requests one run per request, its erid as partition and run key: a request closed twice runs once.",
)
def pushed_requests_sensor(context: dg.SensorEvaluationContext, requests: PushedRequests) -> dg.SensorResult:
    store = requests.store()
    cursor = int(context.cursor or 0)
    if store.last_closed_number() < cursor:
        context.log.warning(
            f"Redis numbers closed requests only up to {store.last_closed_number()} but this sensor has read "
            f"up to {cursor}: Redis lost its data; reading its queue from the start"
        )
        cursor = 0
    store.forget_closed(cursor)  # requested by an earlier tick: Dagster stored its runs before this cursor
    closed = store.closed_after(cursor, MAX_REQUESTS_PER_TICK)
    if not closed:
        return dg.SensorResult(
            cursor=str(cursor), skip_reason=dg.SkipReason(f"no request closed under {requests.requests_uri}")
        )
    erids = [erid for _, erid in closed]
    new = [erid for erid in erids if not context.instance.has_dynamic_partition(pushed_requests.name, erid)]
    context.log.info(f"closed requests: {', '.join(erids)}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=erid, partition_key=erid, tags={"enrichment/erid": erid, **REQUEST_PRIORITY}
            )
            for erid in erids
        ],
        dynamic_partitions_requests=[pushed_requests.build_add_request(new)] if new else [],
        cursor=str(closed[-1][0]),
    )


@dg.run_failure_sensor(
    name="pushed_request_failures",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    description="When a run of a pushed request's assets fails and no retry follows, writes the request's "
    "result.json with status failed and the error, which GET /v1/requests/<erid> shows.",
)
def pushed_request_failures(
    context: dg.RunFailureSensorContext, requests: PushedRequests
) -> dg.SkipReason | None:
    run = context.dagster_run
    erid = run.tags.get("dagster/partition")
    alert = failure_alert(context)
    selected = (
        run.job_name == enrich_request_job.name
        or bool(REQUEST_KEYS & (run.asset_selection or set()))
        or any(step.startswith(REQUEST_STEPS) for step in alert["failed_steps"])  # its checks' too
    )
    if not erid or not selected:
        return dg.SkipReason(f"run {run.run_id[:8]} is not a pushed request's")
    if alert["will_retry"]:
        return dg.SkipReason(f"run {run.run_id[:8]} of request {erid} failed; a retry follows")
    error = "; ".join(f"{step}: {message}" for step, message in alert["failed_steps"].items())
    requests.request(erid).mark_failed(error or alert["message"])
    requests.store().finished(erid)
    context.log.info(f"request {erid} marked failed: {error or alert['message']}")
    return None
