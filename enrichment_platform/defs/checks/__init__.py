"""The asset checks. `contract`: the data contracts, failing as errors (conservation and the seniority range
block the export; one output per input and no dead-lettered file do not); `quality`: warnings on the data
itself (schema completeness, duplicate urls, freshness, level drift); `warehouse`: the warehouse's rows match
the files (blocking)."""

from enrichment_platform.defs.checks.contract import (
    conservation,
    no_dead_lettered_augmented,
    no_dead_lettered_exported,
    no_dead_lettered_raw,
    no_dead_lettered_warehouse,
    one_output_per_input,
    seniority_in_range,
)
from enrichment_platform.defs.checks.quality import (
    duplicate_url_rate,
    raw_freshness,
    raw_schema_completeness,
    seniority_distribution_drift,
)
from enrichment_platform.defs.checks.warehouse import warehouse_rows_match_files

# Every check, in the order the UI lists them: the contract checks, then the data-quality warnings.
ALL_CHECKS = [
    conservation,
    seniority_in_range,
    one_output_per_input,
    no_dead_lettered_raw,
    no_dead_lettered_augmented,
    no_dead_lettered_exported,
    no_dead_lettered_warehouse,
    warehouse_rows_match_files,
    raw_schema_completeness,
    duplicate_url_rate,
    raw_freshness,
    seniority_distribution_drift,
]
