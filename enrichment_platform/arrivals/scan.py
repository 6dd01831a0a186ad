"""Which raw files are new since the sensor's last tick, from a listing of the raw prefix (tolerant of files
landing late with older names) or from the S3 events a queue delivered."""

import time
from collections import defaultdict
from dataclasses import dataclass, field

import orjson

from enrichment_platform.arrivals.file_names import file_timestamp, partition_key_for_timestamp


@dataclass
class ArrivalCursor:
    """The sensor's memory: the newest timestamp seen, the names seen within the lookback, keys warned
    about."""

    high_water: int = 0
    seen: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)

    def scan_start(self, lookback_seconds: int, now: int | None = None) -> str:
        """Where the next listing starts (exclusive): `lookback_seconds` before the newest file, but never
        later than `lookback_seconds` before `now` (a name ahead of the clock must not hide late files), or
        the beginning."""
        if not self.high_water:
            return ""
        anchor = min(self.high_water, int(time.time()) if now is None else now)
        return str(max(0, anchor - lookback_seconds))

    def to_string(self) -> str:
        return orjson.dumps(
            {"high_water": self.high_water, "seen": sorted(self.seen), "ignored": sorted(self.ignored)}
        ).decode()

    @classmethod
    def from_string(cls, text: str | None) -> "ArrivalCursor":
        if not text:
            return cls()
        state = orjson.loads(text)
        # A queue-mode cursor has no listing state: list from its newest file on.
        return cls(
            high_water=state["high_water"],
            seen=set(state.get("seen", ())),
            ignored=set(state.get("ignored", ())),
        )


@dataclass
class Arrivals:
    """New files by partition, plus the names to warn about."""

    by_partition: dict[str, list[str]] = field(default_factory=dict)
    unrecognized: list[str] = field(default_factory=list)  # not `<digits>.jsonl`
    before_start: list[str] = field(default_factory=list)  # dated before the first partition
    in_future: list[str] = field(default_factory=list)  # dated after today: looked at again next tick


def sort_arrivals(names: list[str], first_partition: str, last_partition: str) -> Arrivals:
    """Group raw file names by partition (each group sorted) and set aside the names to warn about."""
    arrivals = Arrivals()
    by_partition = defaultdict(list)
    for name in dict.fromkeys(names):
        timestamp = file_timestamp(name)
        partition_key = None if timestamp is None else partition_key_for_timestamp(timestamp)
        if partition_key is None:
            arrivals.unrecognized.append(name)
        elif partition_key > last_partition:
            arrivals.in_future.append(name)
        elif partition_key < first_partition:
            arrivals.before_start.append(name)
        else:
            by_partition[partition_key].append(name)
    arrivals.by_partition = {key: sorted(names) for key, names in sorted(by_partition.items())}
    return arrivals


def _accepted(arrivals: Arrivals) -> list[str]:
    """The names taken care of for good: requested, or reported as dated before the first partition."""
    return [name for names in arrivals.by_partition.values() for name in names] + arrivals.before_start


def _newest(high_water: int, names: list[str], now: int) -> int:
    """The newest of the names' timestamps and `high_water`, none counted later than `now`: a file named in
    the future (clock skew, a bad name) must not move the listing's window past files still landing."""
    return min(max([high_water, *(file_timestamp(name) for name in names)]), now)


def detect_arrivals(
    cursor: ArrivalCursor,
    listed: list[str],
    first_partition: str,
    last_partition: str,
    lookback_seconds: int,
    now: int | None = None,
) -> tuple[Arrivals, ArrivalCursor]:
    """Split a listing of the raw prefix into new files per partition and names to warn about, and the
    cursor after them; a name is reported once, however many ticks list it."""
    now = int(time.time()) if now is None else now
    new = [name for name in listed if name not in cursor.seen and name not in cursor.ignored]
    arrivals = sort_arrivals(new, first_partition, last_partition)
    accepted = _accepted(arrivals)
    next_cursor = ArrivalCursor(high_water=_newest(cursor.high_water, accepted, now))
    # Remember exactly the names the next listing will show again (S3 compares names as text).
    next_start = next_cursor.scan_start(lookback_seconds, now)
    listed_set = set(listed)
    next_cursor.seen = {
        name for name in cursor.seen | set(accepted) if name in listed_set and name > next_start
    }
    next_cursor.ignored = (cursor.ignored & listed_set) | set(arrivals.unrecognized)
    return arrivals, next_cursor


@dataclass
class QueueCursor:
    """The sensor's memory in queue mode: the receipt handles of the messages the last tick took (deleted on
    the next tick, once Dagster has stored that tick's run requests), the names requested lately (so a
    message delivered twice requests nothing), and files dated after today, waiting for their day."""

    to_delete: list[str] = field(default_factory=list)
    requested: dict[str, int] = field(default_factory=dict)  # name -> unix time it was requested
    waiting: list[str] = field(default_factory=list)
    high_water: int = 0  # the newest file requested, so that the listing mode can take over

    def to_string(self) -> str:
        return orjson.dumps(
            {
                "mode": "queue",
                "high_water": self.high_water,
                "to_delete": self.to_delete,
                "requested": self.requested,
                "waiting": self.waiting,
            }
        ).decode()

    @classmethod
    def from_string(cls, text: str | None) -> "QueueCursor":
        """The cursor a queue-mode tick left; a listing-mode cursor gives an empty one with its high water."""
        state = orjson.loads(text) if text else {}
        if state.get("mode") != "queue":
            return cls(high_water=state.get("high_water", 0))
        return cls(
            to_delete=state["to_delete"],
            requested=state["requested"],
            waiting=state["waiting"],
            high_water=state["high_water"],
        )


def detect_queued_arrivals(
    cursor: QueueCursor,
    announced: list[str],
    receipt_handles: list[str],
    first_partition: str,
    last_partition: str,
    now: int,
    remember_seconds: int,
) -> tuple[Arrivals, QueueCursor]:
    """Split the names a tick's messages announce (plus those waiting for their day) into new files per
    partition and names to warn about, and the cursor after them; names requested within `remember_seconds`
    before `now` are not requested again."""
    requested = {name: at for name, at in cursor.requested.items() if at > now - remember_seconds}
    arrivals = sort_arrivals(
        [name for name in [*cursor.waiting, *announced] if name not in requested],
        first_partition,
        last_partition,
    )
    accepted = _accepted(arrivals)
    requested.update(dict.fromkeys(accepted, now))
    return arrivals, QueueCursor(
        to_delete=list(receipt_handles),
        requested=requested,
        waiting=arrivals.in_future,
        high_water=_newest(cursor.high_water, accepted, now),
    )
