"""The daily UTC partitions every asset and the job share."""

import dagster as dg

from enrichment_platform.settings import setting

# end_offset=1: today's partition exists, so files landing now have somewhere to go.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=setting("PARTITIONS_START_DATE"), end_offset=1, timezone="UTC"
)
