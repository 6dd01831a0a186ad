"""Which raw files are new since the sensor's last tick, tolerant of files landing late with older names."""

from collections import defaultdict
from dataclasses import dataclass, field

import orjson

from enrichment_platform.partitions import file_timestamp, partition_key_for_timestamp


@dataclass
class ArrivalCursor:
    """The sensor's memory: the newest timestamp seen, the names seen within the lookback, keys warned about."""

    high_water: int = 0
    seen: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)

    def scan_start(self, lookback_seconds: int) -> str:
        """Where the next listing starts (exclusive): `lookback_seconds` before the newest file, or the beginning."""
        return str(max(0, self.high_water - lookback_seconds)) if self.high_water else ""

    def to_string(self) -> str:
        return orjson.dumps(
            {"high_water": self.high_water, "seen": sorted(self.seen), "ignored": sorted(self.ignored)}
        ).decode()

    @classmethod
    def from_string(cls, text: str | None) -> "ArrivalCursor":
        if not text:
            return cls()
        state = orjson.loads(text)
        return cls(high_water=state["high_water"], seen=set(state["seen"]), ignored=set(state["ignored"]))


@dataclass
class Arrivals:
    """New files by partition, plus the names to warn about."""

    by_partition: dict[str, list[str]] = field(default_factory=dict)
    unrecognized: list[str] = field(default_factory=list)  # not `<digits>.jsonl`
    before_start: list[str] = field(default_factory=list)  # dated before the first partition
    in_future: list[str] = field(default_factory=list)  # dated after today: looked at again next tick


def detect_arrivals(
    cursor: ArrivalCursor, listed: list[str], first_partition: str, last_partition: str, lookback_seconds: int
) -> tuple[Arrivals, ArrivalCursor]:
    """Split a listing of the raw prefix into new files per partition and names to warn about, and the
    cursor after them; a name is reported once, however many ticks list it."""
    arrivals = Arrivals()
    by_partition = defaultdict(list)
    seen = set(cursor.seen)
    high_water = cursor.high_water
    listed_set = set(listed)
    for name in listed:
        if name in seen or name in cursor.ignored:
            continue
        timestamp = file_timestamp(name)
        partition_key = None if timestamp is None else partition_key_for_timestamp(timestamp)
        if partition_key is None:
            arrivals.unrecognized.append(name)
            continue
        if partition_key > last_partition:
            arrivals.in_future.append(name)
            continue
        seen.add(name)
        high_water = max(high_water, timestamp)
        if partition_key < first_partition:
            arrivals.before_start.append(name)
        else:
            by_partition[partition_key].append(name)
    arrivals.by_partition = {key: sorted(names) for key, names in sorted(by_partition.items())}
    next_cursor = ArrivalCursor(high_water=high_water)
    # Remember exactly the names the next listing will show again (S3 compares names as text).
    next_start = next_cursor.scan_start(lookback_seconds)
    next_cursor.seen = {name for name in seen if name in listed_set and name > next_start}
    next_cursor.ignored = (cursor.ignored & listed_set) | set(arrivals.unrecognized)
    return arrivals, next_cursor
