"""A raw file larger than one chunk is read, validated, augmented and exported a chunk of whole lines at a
time, so that a step's memory does not grow with the size of one file: the chunk size, how many such
files a step streams at once, where chunks are cut, and the facts counted over all of a file's chunks."""

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import xxhash

from enrichment_platform.settings import setting

READ_PIECE_BYTES = 1024 * 1024  # a streamed object or staged file is read this much at a time
Pieces = Callable[[], Iterable[bytes]]  # an object opened afresh by each call, read a piece at a time

# Files larger than a chunk streamed at once by one step's process; the others wait for a slot, so the
# step's memory is a few chunks whatever its files in flight.
STREAMED_FILES_AT_ONCE = 2
streaming_slots = threading.BoundedSemaphore(STREAMED_FILES_AT_ONCE)


def chunk_bytes() -> int:
    """Bytes of raw lines a step holds of one file at a time (ENRICHMENT_CHUNK_BYTES, at least 1); a file
    no larger is processed whole."""
    value = setting("ENRICHMENT_CHUNK_BYTES")
    try:
        return max(int(value), 1)
    except ValueError:
        raise ValueError(f"ENRICHMENT_CHUNK_BYTES must be a number of bytes, not {value!r}") from None


def cut_lines(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The bytes of `pieces` (a file as it is read) as chunks of whole lines: each ends at the first line
    end from its `size`-th byte on; the last is what remains (it may lack a final newline)."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= size:
            end = buffer.find(b"\n", size - 1)
            if end < 0:
                break  # the line goes on in the next piece
            yield bytes(buffer[: end + 1])
            del buffer[: end + 1]
    if buffer:
        yield bytes(buffer)


class RepeatedUrls:
    """`repeated_values` of a file's urls added a chunk at a time: strings (nearly all urls) are kept as
    64-bit fingerprints, on disk until counted, other values as they are, so equal values count as in one
    list (two different urls sharing a fingerprint is about as likely as 1 in 10^6 at 6M urls)."""

    def __init__(self) -> None:
        self._fingerprints = tempfile.TemporaryFile()  # 8 bytes a url: kept out of memory until counted
        self._others: set = set()
        self._other_count = 0

    def add(self, urls: list) -> None:
        strings = [url for url in urls if type(url) is str]
        hashed = (xxhash.xxh3_64_intdigest(url.encode("utf-8", "surrogatepass")) for url in strings)
        self._fingerprints.write(np.fromiter(hashed, dtype=np.uint64, count=len(strings)).tobytes())
        for url in urls:
            # JSON arrays and objects are not compared (unhashable), like nulls they never repeat.
            if url is not None and type(url) not in (str, list, dict):
                self._others.add(url)
                self._other_count += 1

    def repeats(self) -> int:
        """Non-null values equal to an earlier one, over everything added; the fingerprints are dropped."""
        with self._fingerprints:
            self._fingerprints.seek(0)
            fingerprints = np.fromfile(self._fingerprints, dtype=np.uint64)
        fingerprints.sort()  # in place: equal fingerprints side by side
        strings = int(np.count_nonzero(fingerprints[1:] == fingerprints[:-1]))
        return strings + self._other_count - len(self._others)
