"""What the assets share around the per-file loop (`pipeline/incremental.py`): the run configuration,
the step retry policy, and the materialization metadata of the files a run dead-lettered."""

import dagster as dg
from pydantic import Field

from enrichment_platform.pipeline.dead_letter import one_line
from enrichment_platform.pipeline.incremental import FileRun
from enrichment_platform.settings import setting

MAX_LISTED = 20  # dead-lettered files named in a materialization's metadata


class IncrementalConfig(dg.Config):
    """Run configuration shared by the per-file assets."""

    full_refresh: bool = Field(
        default=False, description="Reprocess every file of the partition, not only new or changed ones."
    )


def retry_policy() -> dg.RetryPolicy:
    """Retries for network-bound steps: exponential backoff with jitter, long enough together to ride out
    a restart of the model server or Redis (10, 20, 40 s by default). Read when the assets are defined:
    Dagster takes an asset's retry policy from its definition."""
    return dg.RetryPolicy(
        max_retries=int(setting("ENRICHMENT_STEP_RETRIES")),
        delay=float(setting("ENRICHMENT_STEP_RETRY_DELAY_SECONDS")),
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def dead_letter_metadata(run: FileRun) -> dict:
    """The files a run set aside, for its materialization: a count the UI plots, and each one's error."""
    listed = [
        f"- `{failure.name}` ({failure.attempts} attempts): {one_line(failure.error)}"
        for failure in run.dead_lettered[:MAX_LISTED]
    ]
    return {
        "dead_lettered_files": len(run.dead_lettered),
        "dead_letters": dg.MetadataValue.md("\n".join(listed) or "none"),
        "dead_letter_prefix": dg.MetadataValue.path(run.dead_letter_uri),
    }


def partition_figures(run: FileRun, figures: dict[str, str]) -> dict:
    """Metadata for figures a plot across partitions shows: under each name the partition's total over all
    its files as they stand (from the manifest), so a rerun that finds nothing new leaves the plot unchanged;
    under `run_<name>` what this run did. `figures` maps a metadata name to the manifest fact it sums."""
    metadata = {}
    for name, fact in figures.items():
        metadata[name] = run.manifest.total(fact)
        metadata[f"run_{name}"] = run.totals[fact]
    return metadata


def run_selects(context: dg.AssetExecutionContext, asset_name: str) -> bool:
    """Whether the run materializes `asset_name` too (a run without an asset selection runs its whole job;
    `dg.materialize` records an empty one and its job holds only what it selected)."""
    selection = context.run.asset_selection
    if selection is None:
        return True
    return dg.AssetKey(asset_name) in (selection or context.job_def.asset_layer.selected_asset_keys)
