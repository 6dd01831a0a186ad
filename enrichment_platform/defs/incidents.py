"""Alerts on incidents, posted to the alert webhook once each: an asset check of severity ERROR that starts
failing (dead letters, conservation, the warehouse's rows, ...), and a scraper that has gone silent (no raw
file for RAW_MAX_SILENCE_MINUTES), noticed on a schedule even when nothing lands."""

import time
from datetime import UTC, datetime

import dagster as dg
import orjson

from enrichment_platform.defs.alerts import post_json
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.settings import setting

MAX_RUNS_PER_TICK = 200
SILENCE_CHECK_SECONDS = 60


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


def _problems(evaluation) -> str:
    """The first lines of what a check reported (its `problems` or `dead_letters` metadata)."""
    for name in ("problems", "dead_letters"):
        value = evaluation.metadata.get(name)
        if value is not None and str(value.value).strip() not in ("", "none"):
            return "; ".join(str(value.value).strip().splitlines()[:3])
    return evaluation.description or ""


def check_failure_alert(evaluation, run_id: str, at: float) -> dict:
    """The alert for a check of severity ERROR that started failing: what, where (asset, partition), since."""
    partition = evaluation.partition
    where = evaluation.asset_key.to_user_string() + (f" for {partition}" if partition else "")
    details = _problems(evaluation)
    return {
        "text": f"Check {evaluation.check_name} failed on {where} since {_iso(at)}"
        + (f": {details}" if details else ""),
        "kind": "check_failed",
        "check": evaluation.check_name,
        "asset": evaluation.asset_key.to_user_string(),
        "partition": partition,
        "since": _iso(at),
        "run_id": run_id,
        "details": details,
    }


# A run's check evaluations are read once it has ended either way (a failing blocking check fails its run).
RUN_ENDS = (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE)


def _ended_runs(instance: dg.DagsterInstance, cursors: dict[str, str | None]) -> tuple[list, dict]:
    """(end time, run id) of the runs that ended after `cursors` (one per run end event), oldest first, and
    the cursors after them. Run status changes are indexed by every event log storage, SQLite's too."""
    ended, after = [], {}
    for event_type in RUN_ENDS:
        result = instance.fetch_run_status_changes(
            event_type, limit=MAX_RUNS_PER_TICK, cursor=cursors.get(event_type.value), ascending=True
        )
        ended += [(record.timestamp, record.run_id) for record in result.records]
        after[event_type.value] = result.cursor or cursors.get(event_type.value)
    return sorted(ended), after


def _newest_cursors(instance: dg.DagsterInstance) -> dict[str, str | None]:
    """Cursors after the newest run end of each kind: where a first tick starts (past failures are old)."""
    return {
        event_type.value: instance.fetch_run_status_changes(event_type, limit=1, ascending=False).cursor
        for event_type in RUN_ENDS
    }


@dg.sensor(
    name="check_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Posts to ENRICHMENT_ALERT_WEBHOOK_URL each asset check of severity ERROR that starts "
    "failing for a partition (once per incident: again only after it has passed), with its problems; does "
    "nothing while the variable is unset.",
)
def check_failure_alerts(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    if not context.cursor:  # the first tick: from now on
        state = {"after": _newest_cursors(context.instance), "failing": []}
        return dg.SensorResult(cursor=orjson.dumps(state).decode(), skip_reason=dg.SkipReason("started"))
    state = orjson.loads(context.cursor)
    failing = {tuple(item) for item in state["failing"]}
    url = setting("ENRICHMENT_ALERT_WEBHOOK_URL")
    ended, after = _ended_runs(context.instance, state["after"])
    posted = 0
    for _, run_id in ended:
        evaluations = context.instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        for record in evaluations:
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            incident = (
                evaluation.check_name,
                evaluation.asset_key.to_user_string(),
                evaluation.partition or "",
            )
            if evaluation.passed:
                failing.discard(incident)
            elif evaluation.severity == dg.AssetCheckSeverity.ERROR and incident not in failing:
                if url:  # a webhook that refuses raises: the tick, from the same cursor, is tried again
                    post_json(url, check_failure_alert(evaluation, run_id, record.event_log_entry.timestamp))
                    posted += 1
                failing.add(incident)
    cursor = orjson.dumps({"after": after, "failing": sorted(failing)}).decode()
    if posted:
        context.log.info(f"{posted} check failure alert(s) posted")
    return dg.SensorResult(
        cursor=cursor, skip_reason=None if posted else dg.SkipReason("no check started failing")
    )


def silence_alert(raw_uri: str, newest: int | None, minutes: int, now: int) -> dict:
    """The alert for a scraper that has sent no raw file for `minutes`: since its newest file, if known."""
    since = f"since {_iso(newest)} (its newest file)" if newest else "in the last day at least"
    return {
        "text": f"No raw file has landed under {raw_uri} for {minutes} minutes or more: nothing {since}; "
        "is the scraper running?",
        "kind": "raw_silence",
        "where": raw_uri,
        "newest_file_at": _iso(newest) if newest else None,
        "silent_minutes": round((now - newest) / 60) if newest else None,
        "checked_at": _iso(now),
    }


def newest_raw_timestamp(storage: PostingsStorage, since: int) -> int | None:
    """The newest `<unix seconds>.jsonl` under the raw prefix named at or after `since` (a bounded listing:
    names of equal length sort as numbers), None when there is none."""
    newest = None
    for name, _ in storage.list_objects(storage.raw, start_after=str(since - 1)):
        stem = name.removesuffix(".jsonl")
        if name.endswith(".jsonl") and stem.isdigit() and len(stem) == len(str(since)):
            newest = max(newest or 0, int(stem))
    return newest


@dg.sensor(
    name="raw_silence_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=SILENCE_CHECK_SECONDS,
    description="Every minute, whether or not files land: when no raw file named within the last "
    "RAW_MAX_SILENCE_MINUTES is under RAW_POSTINGS_URI, posts one alert to ENRICHMENT_ALERT_WEBHOOK_URL "
    "(again only after files have come back).",
)
def raw_silence_alert(context: dg.SensorEvaluationContext, storage: PostingsStorage) -> dg.SkipReason:
    url = setting("ENRICHMENT_ALERT_WEBHOOK_URL")
    if not url:
        return dg.SkipReason("ENRICHMENT_ALERT_WEBHOOK_URL is not set")
    minutes = int(setting("RAW_MAX_SILENCE_MINUTES"))
    now = int(time.time())
    if newest_raw_timestamp(storage, now - 60 * minutes) is not None:
        context.update_cursor("")
        return dg.SkipReason(f"a raw file landed within the last {minutes} minutes")
    if context.cursor:
        return dg.SkipReason(f"silent since the alert of {context.cursor}; alerted once")
    newest = newest_raw_timestamp(storage, now - 86_400)
    post_json(url, silence_alert(storage.raw_uri, newest, minutes, now))
    context.update_cursor(_iso(now))
    context.log.info(f"silence alert posted: no raw file for {minutes} minutes under {storage.raw_uri}")
    return dg.SkipReason("silence alert posted")
