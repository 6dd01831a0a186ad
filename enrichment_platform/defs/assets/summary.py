"""seniority_daily_summary: the day's seniority mix, companies, cache hit rate and model requests, for
dashboards (the `seniority_daily` table, the analysts' views and the UI's plots)."""

from datetime import date

import dagster as dg

from enrichment_platform.defs.assets import augmented, warehouse
from enrichment_platform.defs.assets.file_loop import retry_policy
from enrichment_platform.defs.partitions import daily_partitions
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.defs.resources.warehouse import PostgresWarehouse
from enrichment_platform.seniority.scale import LEVELS

ASSET_NAME = "seniority_daily_summary"


@dg.asset(
    name=ASSET_NAME,
    partitions_def=daily_partitions,
    deps=[warehouse.postings_warehouse],
    group_name="job_postings",
    kinds={"postgres", "pandas"},
    retry_policy=retry_policy(),
    description="The day's row of `seniority_daily` in the warehouse (postings and share per seniority "
    "level, distinct companies, cache hit rate and model requests of the augmentation), replaced on every "
    "run, and the views `seniority_mix_by_company_30d` and `daily_seniority_shares` created or replaced "
    "beside it.",
)
def seniority_daily_summary(
    context: dg.AssetExecutionContext, storage: PostingsStorage, warehouse: PostgresWarehouse
) -> dg.MaterializeResult:
    # Imported here: pandas is loaded by the runs that refresh the summary, not by every definitions load.
    from enrichment_platform.warehouse.summary import (
        SUMMARY_TABLE,
        AugmentationTotals,
        level_share_column,
        level_table_markdown,
        refresh_day_summary,
    )
    from enrichment_platform.warehouse.views import VIEWS, refresh_views

    partition_key = context.partition_key
    # The manifest covers every file of the day; a materialization's metadata only the files of its run.
    augmentation = AugmentationTotals.from_manifest_files(
        storage.read_manifest(augmented.ASSET_NAME, partition_key).files
    )
    summary = refresh_day_summary(
        warehouse.url, warehouse.schema_name, date.fromisoformat(partition_key), augmentation
    )
    refresh_views(warehouse.url, warehouse.schema_name)
    return dg.MaterializeResult(
        metadata={
            "postings": int(summary["postings"]),
            "distinct_companies": int(summary["distinct_companies"]),
            **{f"share_level_{level}": float(summary[level_share_column(level)]) for level in LEVELS},
            "cache_hit_rate": float(summary["cache_hit_rate"]),
            "model_requests": int(summary["model_requests"]),
            "pairs_looked_up": int(summary["pairs_looked_up"]),
            "seniority_mix": dg.MetadataValue.md(level_table_markdown(summary)),
            "table": f"{warehouse.schema_name}.{SUMMARY_TABLE}",
            "views": ", ".join(f"{warehouse.schema_name}.{view}" for view in VIEWS),
        }
    )
