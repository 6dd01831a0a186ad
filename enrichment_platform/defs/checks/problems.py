"""What the checks share: the problems a check found, listed in its metadata, and the partitioned checks'
preview warning silenced."""

import warnings

import dagster as dg

# Partitioned checks show a result per date in the UI and can be run for one date; the API is in preview.
warnings.filterwarnings(
    "ignore", category=dg.PreviewWarning, message="Specifying a partitions_def on an AssetCheckSpec"
)

MAX_LISTED = 20


def listed(problems: list[str], key: str = "problems") -> dict:
    """Metadata listing the first problems as markdown bullets, under `key`."""
    return {key: dg.MetadataValue.md("\n".join(f"- {problem}" for problem in problems[:MAX_LISTED]))}
