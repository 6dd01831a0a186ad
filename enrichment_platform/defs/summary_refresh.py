"""When the sensor's runs refresh a day's seniority summary: its query reads every row of the day, so a run of
today's new files includes it at most every SUMMARY_REFRESH_SECONDS, and a day whose summary is behind its
warehouse gets a run of the summary alone once that interval has passed, at once when the day is over."""

from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg

from enrichment_platform.arrivals.file_names import partition_key_for_timestamp, partition_window
from enrichment_platform.defs.assets.summary import seniority_daily_summary
from enrichment_platform.defs.assets.warehouse import postings_warehouse
from enrichment_platform.defs.jobs import DAILY_FLOW_ASSETS

# How stale today's summary may get while files keep arriving (a dashboard's figures, not the postings).
SUMMARY_REFRESH_SECONDS = 600
SUMMARY = seniority_daily_summary.key
WAREHOUSE = postings_warehouse.key


@dataclass(frozen=True)
class Materialized:
    """An asset partition's latest materialization: its event's storage id (later events have larger ones)
    and its time."""

    storage_id: int
    timestamp: float


def latest_materialization(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition_key: str
) -> Materialized | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition_key]), limit=1
    ).records
    return Materialized(records[0].storage_id, records[0].timestamp) if records else None


def summary_due(partition_key: str, today: str, summary: Materialized | None, now: float) -> bool:
    """Whether a run of the partition should refresh its summary: always for a past day (its last files), else
    once the summary is SUMMARY_REFRESH_SECONDS old."""
    return partition_key < today or summary is None or now - summary.timestamp >= SUMMARY_REFRESH_SECONDS


def summary_behind(
    partition_key: str,
    today: str,
    summary: Materialized | None,
    warehouse: Materialized | None,
    now: float,
) -> bool:
    """Whether a day needs a run of its summary alone: the warehouse loaded files after the summary was made,
    and the summary is due."""
    if warehouse is None or (summary is not None and summary.storage_id > warehouse.storage_id):
        return False
    return summary_due(partition_key, today, summary, now)


def flow_selection(
    instance: dg.DagsterInstance, partition_key: str, today: str, now: float
) -> list[dg.AssetKey] | None:
    """The assets of a run of new files: the whole job (None), or the job without the summary while today's
    summary is fresh."""
    if summary_due(partition_key, today, latest_materialization(instance, SUMMARY, partition_key), now):
        return None
    return [asset.key for asset in DAILY_FLOW_ASSETS]


def summary_run_request(
    instance: dg.DagsterInstance, partition_key: str, today: str, now: float
) -> dg.RunRequest | None:
    """A run of the partition's summary alone when it is behind its warehouse, keyed by the warehouse's
    materialization so that it is requested once."""
    warehouse = latest_materialization(instance, WAREHOUSE, partition_key)
    summary = latest_materialization(instance, SUMMARY, partition_key)
    if not summary_behind(partition_key, today, summary, warehouse, now):
        return None
    return dg.RunRequest(
        run_key=f"{partition_key}:summary:{warehouse.storage_id}",
        partition_key=partition_key,
        asset_selection=[SUMMARY],
        tags={"enrichment/summary_only": "true"},
    )


def summary_runs(instance: dg.DagsterInstance, requested: set[str], now: float) -> list[dg.RunRequest]:
    """Runs of the summary alone for yesterday and today where it is behind, unless a run of new files of
    that day is being requested."""
    today = partition_key_for_timestamp(int(now))
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    first_partition, _ = partition_window()
    requests = [
        summary_run_request(instance, partition_key, today, now)
        for partition_key in (yesterday, today)
        if partition_key not in requested and partition_key >= first_partition
    ]
    return [request for request in requests if request is not None]
