"""Raw file names (`<unix seconds>.jsonl`) and the UTC dates they belong to: a file's partition key."""

import re
from datetime import UTC, date, datetime

from enrichment_platform.settings import setting

SECONDS_PER_DAY = 86_400
# Canonical numbers only: a zero-padded name would sort away from its day in an S3 listing, so it is
# reported as unrecognized rather than half-handled.
_FILE_NAME = re.compile(r"^([1-9]\d{0,11}|0)\.jsonl$")


def file_timestamp(name: str) -> int | None:
    """The unix timestamp a raw file is named by, or None when the name is not `<digits>.jsonl`."""
    match = _FILE_NAME.match(name)
    return int(match.group(1)) if match else None


def partition_key_for_timestamp(timestamp: int) -> str | None:
    """The UTC date of a timestamp as a partition key (None when it is not a representable date)."""
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def partition_key_for_file(name: str) -> str | None:
    """The partition a raw file belongs to, or None for names that are not raw files."""
    timestamp = file_timestamp(name)
    return None if timestamp is None else partition_key_for_timestamp(timestamp)


def day_bounds(partition_key: str) -> tuple[int, int]:
    """First and one-past-last unix second of a partition's UTC day."""
    start = datetime.combine(date.fromisoformat(partition_key), datetime.min.time(), tzinfo=UTC)
    start_ts = int(start.timestamp())
    return start_ts, start_ts + SECONDS_PER_DAY


def partition_window(today: date | None = None) -> tuple[str, str]:
    """First and last partition keys that exist now (the last is today, UTC)."""
    today = today or datetime.now(tz=UTC).date()
    return date.fromisoformat(setting("PARTITIONS_START_DATE")).isoformat(), today.isoformat()
