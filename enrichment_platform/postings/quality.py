"""Data-quality measures behind the warning checks: rates, distribution drift, freshness."""

from collections.abc import Iterable, Sequence

from enrichment_platform.seniority.scale import LEVELS


def share(part: int, whole: int) -> float:
    """part / whole, and 0.0 for an empty whole (nothing measured is nothing wrong)."""
    return part / whole if whole else 0.0


def level_shares(counts: Sequence[int]) -> list[float]:
    """Counts of levels 1..7 as shares of their total (all zeros when there is no line)."""
    total = sum(counts)
    return [share(count, total) for count in counts]


def pooled_counts(distributions: Iterable[Sequence[int]], size: int = len(LEVELS)) -> list[int]:
    """Element-wise sum of count vectors (e.g. the level counts of several files or partitions)."""
    pooled = [0] * size
    for counts in distributions:
        for index, count in enumerate(counts):
            pooled[index] += count
    return pooled


def total_variation_distance(counts: Sequence[int], reference: Sequence[int]) -> float:
    """Half the L1 distance between two count vectors taken as distributions: 0 same mix, 1 disjoint."""
    if len(counts) != len(reference):
        raise ValueError(f"distributions differ in size ({len(counts)} vs {len(reference)} categories)")
    return 0.5 * sum(abs(p - q) for p, q in zip(level_shares(counts), level_shares(reference)))


def newest_file_age(newest_timestamp: int | None, day_start: int, now: float) -> float:
    """Seconds since the newest file of a day was written; since the day began when it has none yet."""
    return max(0.0, now - (day_start if newest_timestamp is None else newest_timestamp))
