"""The staged levels of many files in one object: each file's digits at an offset of the batch it joined.

One S3 object per checkpoint instead of one per file: a day of 1,440 files is a handful of PUTs, not
1,440. A file's entry in the manifest names its batch, offset, length and a hash of its digits; the hash
is the version the export depends on, and a ranged GET reads one file's digits back.
"""

import threading
from collections.abc import Iterator

import xxhash

from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.pipeline.storage import PipelineStorage, S3AccessError

BATCH_PREFIX = "levels-"
BATCH_SUFFIX = ".digits"


def levels_hash(digits: bytes) -> str:
    """The version of a file's levels: a 128-bit hash of its digits."""
    return xxhash.xxh3_128_hexdigest(digits)


class LevelsBatch:
    """Digits of files added from several threads; `take()` hands over what was added and starts anew."""

    def __init__(self, names: Iterator[str]):
        self._names = names  # unique object names, one for each batch taken
        self._lock = threading.Lock()
        self._name = next(self._names)
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, digits: bytes) -> dict:
        """Append one file's digits; where they will be, for its manifest entry."""
        with self._lock:
            reference = {
                "staged": self._name,
                "offset": self._size,
                "length": len(digits),
                "levels_hash": levels_hash(digits),
            }
            self._parts.append(digits)
            self._size += len(digits)
        return reference

    def take(self) -> tuple[str, bytes] | None:
        """(object name, bytes) of everything added since the last take, or None if nothing was."""
        with self._lock:
            if not self._parts:
                return None
            taken = (self._name, b"".join(self._parts))
            self._name = next(self._names)
            self._parts, self._size = [], 0
        return taken


def batch_names(run_id: str) -> Iterator[str]:
    """levels-<run id>-000001.digits, levels-<run id>-000002.digits, ...: unique to one run."""
    sequence = 0
    while True:
        sequence += 1
        yield f"{BATCH_PREFIX}{run_id}-{sequence:06d}{BATCH_SUFFIX}"


def referenced_objects(entries: dict[str, dict]) -> set[str]:
    """Names of the batch objects a manifest's entries point into."""
    return {entry["staged"] for entry in entries.values()}


def read_batched_levels(storage: PipelineStorage, staged: S3Location, name: str, entry: dict) -> bytes:
    """A file's digits, read from the batch object its manifest entry points into and checked against the
    entry's hash."""
    digits = storage.get_range(staged, entry["staged"], entry["offset"], entry["length"])
    if levels_hash(digits) != entry["levels_hash"]:
        raise S3AccessError(
            f"{staged.uri}{entry['staged']}: the levels of {name} at byte {entry['offset']} "
            "do not match their hash; materialize seniority_augmented_postings again"
        )
    return digits
