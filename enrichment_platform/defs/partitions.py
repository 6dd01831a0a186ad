"""The partitions: daily UTC ones for the scraper's files, one per pushed request for the HTTP API's."""

import dagster as dg

from enrichment_platform.settings import setting

# end_offset=1: today's partition exists, so files landing now have somewhere to go.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=setting("PARTITIONS_START_DATE"), end_offset=1, timezone="UTC"
)

# One partition per pushed request, keyed by its erid; the request sensor adds it when the request closes.
pushed_requests = dg.DynamicPartitionsDefinition(name="pushed_requests")
