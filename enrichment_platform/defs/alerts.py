"""run_failure_webhook: every failed run of this code location is posted as JSON to the alert webhook
(ENRICHMENT_ALERT_WEBHOOK_URL)."""

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from enrichment_platform.settings import setting

POST_ATTEMPTS = 3
POST_TIMEOUT_SECONDS = 10.0


class AlertDeliveryError(RuntimeError):
    """The webhook did not accept an alert."""


def _is_dagsters(error: SerializableErrorInfo) -> bool:
    """Dagster's wrappers around a step's error (execution error, retry request, "Exceeded max_retries")."""
    return error.message.startswith("dagster.") or (error.cls_name or "").startswith(
        ("Dagster", "RetryRequested")
    )


def _first_own_error(error: SerializableErrorInfo | None) -> str:
    """The first line of the first error below Dagster's wrappers: ours name what failed and where."""
    while error is not None and error.cause is not None and _is_dagsters(error):
        error = error.cause
    return error.message.strip().splitlines()[0] if error is not None and error.message.strip() else ""


def failure_alert(context: dg.RunFailureSensorContext) -> dict:
    """The alert about one failed run: a one-line `text` (what Slack-style webhooks show) and the details."""
    run = context.dagster_run
    failed_steps = {
        event.step_key: _first_own_error(event.step_failure_data.error)
        for event in context.get_step_failure_events()
    }
    partition = run.tags.get("dagster/partition")
    will_retry = run.tags.get("dagster/will_retry") == "true"  # set by the daemon's run retries
    summary = (
        "; ".join(f"{step}: {error}" for step, error in failed_steps.items()) or context.failure_event.message
    )
    text = (
        f"Run {run.run_id[:8]} of {run.job_name}"
        + (f" for {partition}" if partition else "")
        + f" failed ({'a retry follows' if will_retry else 'no retry follows'}): {summary}"
    )
    return {
        "text": text,
        "run_id": run.run_id,
        "job_name": run.job_name,
        "partition": partition,
        "backfill_id": run.tags.get("dagster/backfill"),
        "will_retry": will_retry,
        "failed_steps": failed_steps,
        "message": context.failure_event.message,
    }


def post_json(url: str, payload: dict) -> None:
    """POST `payload` as JSON; network errors and 5xx answers are retried, then raised."""
    where = "{0.scheme}://{0.netloc}".format(urlsplit(url))  # the path of a webhook URL is often its secret
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    for attempt in range(1, POST_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS):
                return
        except urllib.error.HTTPError as error:
            problem = f"answered HTTP {error.code}"
            if error.code < 500:
                break  # the request itself is refused: sending it again will not help
        except OSError as error:
            problem = f"could not be reached ({error})"
        if attempt < POST_ATTEMPTS:
            time.sleep(attempt)
    raise AlertDeliveryError(
        f"the alert webhook at {where} {problem} after {attempt} attempt(s); "
        "check ENRICHMENT_ALERT_WEBHOOK_URL "
        f"(the run failure itself is in the run's log)"
    )


@dg.run_failure_sensor(
    name="run_failure_webhook",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Posts each failed run (job, partition, failed steps and their errors, "
    "whether a retry follows) "
    "as JSON to ENRICHMENT_ALERT_WEBHOOK_URL; does nothing while it is unset.",
)
def run_failure_webhook(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
    url = setting("ENRICHMENT_ALERT_WEBHOOK_URL")
    if not url:
        return dg.SkipReason("ENRICHMENT_ALERT_WEBHOOK_URL is not set")
    post_json(url, failure_alert(context))
    context.log.info(f"alert for run {context.dagster_run.run_id} posted")
    return None
