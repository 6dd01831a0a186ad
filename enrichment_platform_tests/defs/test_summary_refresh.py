"""When the sensor's runs refresh the day's summary: at most every SUMMARY_REFRESH_SECONDS for today's new
files, at once for a past day, and alone for a day whose summary is behind its warehouse."""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from enrichment_platform.defs.jobs import DAILY_FLOW_ASSETS
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.defs.sensors import raw_postings_sensor
from enrichment_platform.defs.summary_refresh import (
    SUMMARY,
    SUMMARY_REFRESH_SECONDS,
    WAREHOUSE,
    Materialized,
    summary_behind,
    summary_due,
)

TODAY, YESTERDAY = "2026-11-30", "2026-11-29"
NOW = 1_796_067_000.0


def test_a_run_of_todays_files_refreshes_the_summary_once_it_is_old_and_a_past_days_always():
    fresh = Materialized(storage_id=5, timestamp=NOW - 60)
    old = Materialized(storage_id=5, timestamp=NOW - SUMMARY_REFRESH_SECONDS)
    assert not summary_due(TODAY, TODAY, fresh, NOW)
    assert summary_due(TODAY, TODAY, old, NOW)
    assert summary_due(TODAY, TODAY, None, NOW)
    assert summary_due(YESTERDAY, TODAY, fresh, NOW)


def test_a_summary_is_behind_only_when_the_warehouse_loaded_files_after_it():
    summary = Materialized(storage_id=5, timestamp=NOW - 2 * SUMMARY_REFRESH_SECONDS)
    assert summary_behind(TODAY, TODAY, summary, Materialized(9, NOW - 30), NOW)
    assert not summary_behind(TODAY, TODAY, summary, Materialized(3, NOW - 30), NOW)
    assert not summary_behind(TODAY, TODAY, summary, None, NOW)
    recent = Materialized(storage_id=5, timestamp=NOW - 60)
    assert not summary_behind(TODAY, TODAY, recent, Materialized(9, NOW - 30), NOW)
    assert summary_behind(YESTERDAY, TODAY, recent, Materialized(9, NOW - 30), NOW)


def materialize(instance, asset_key: dg.AssetKey, partition: str) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset_key, partition=partition))


def tick(instance, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=default_resources()) as context:
        return raw_postings_sensor(context)


@pytest.mark.integration
def test_runs_of_todays_new_files_leave_out_a_fresh_summary_and_a_behind_one_gets_its_own_run(
    bucket, instance
):
    now = datetime.now(tz=UTC)
    today, yesterday = now.date().isoformat(), (now.date() - timedelta(days=1)).isoformat()
    bucket.put("job-postings-raw", f"{int(time.time()) - 5}.jsonl", b'{"company": "", "title": "Intern"}\n')

    first_tick = tick(instance)
    (first,) = first_tick.run_requests
    assert first.partition_key == today and first.asset_selection is None  # never summarized yet

    materialize(instance, SUMMARY, today)
    materialize(instance, SUMMARY, yesterday)
    materialize(instance, WAREHOUSE, yesterday)  # yesterday's last files loaded after its summary
    bucket.put("job-postings-raw", f"{int(time.time()) - 1}.jsonl", b'{"company": "", "title": "CFO"}\n')
    requests = {request.partition_key: request for request in tick(instance, first_tick.cursor).run_requests}

    assert set(requests[today].asset_selection) == {asset.key for asset in DAILY_FLOW_ASSETS}
    assert requests[yesterday].asset_selection == [SUMMARY]
    assert requests[yesterday].run_key.startswith(f"{yesterday}:summary:")
