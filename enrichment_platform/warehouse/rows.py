"""The rows of one raw file: its output lines matched to their input line numbers and content hashes, its
quarantine records, the forms PostgreSQL accepts for the few values it refuses (see the package docstring),
and its job_postings rows in COPY's binary format. A file's rows are held column by column and encoded by C
code (map, struct, join), so that a day of millions of lines costs little Python work per line."""

import hashlib
import re
import struct
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, repeat
from operator import add, methodcaller

import orjson

from enrichment_platform.pipeline.chunks import chunk_bytes, cut_lines
from enrichment_platform.postings.parse import split_lines

# A JSON NUL escape: `\u0000` preceded by an even number of backslashes (`\\u0000` is a backslash and text).
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
_REPLACEMENT_ESCAPE = rb"\1\\ufffd"
NUL, REPLACEMENT_CHARACTER = "\x00", "\ufffd"

# The job_postings columns of copy_binary_rows's rows, in its order: the file's constants first.
COPIED_COLUMNS = (
    "posting_date",
    "source_file",
    "model_version",
    "line_number",
    "content_sha256",
    "posting_altered",
    "original_line",
    "posting",
)


class FileRowsMismatchError(ValueError):
    """A file's output, raw and quarantine objects do not describe the same lines."""


@dataclass(slots=True)
class PostingRows:
    """The job_postings rows of one file, column by column (one per output line, in order)."""

    line_numbers: list[int]
    content_sha256: list[bytes]
    lines: list[bytes]  # the output lines, each the original_line of its row should it be altered
    # Row index -> what the jsonb column receives instead of the line; only for altered rows.
    altered: dict[int, bytes] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)

    def posting(self, index: int) -> bytes:
        """What the jsonb column of row `index` receives."""
        return self.altered.get(index, self.lines[index])


def output_lines(output: bytes) -> list[bytes]:
    """The lines of an exported object (each ends with a newline)."""
    lines = output.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def quarantine_records(quarantine: bytes | None) -> list[dict]:
    """The records of a quarantine object ({"line", "error", "raw"}); none for a missing object."""
    return [orjson.loads(line) for line in output_lines(quarantine)] if quarantine else []


def quarantine_chunks(pieces: Iterable[bytes]) -> Iterator[list[dict]]:
    """The records of a quarantine object read a piece at a time, a chunk of lines at a time."""
    for chunk in cut_lines(pieces, chunk_bytes()):
        yield quarantine_records(chunk)


class _Lines:
    """The lines of an object read a piece at a time, taken a number at a time."""

    def __init__(self, pieces: Iterable[bytes]):
        self._pieces = iter(pieces)
        self._lines: list[bytes] = []
        self._start = 0  # lines before it are taken
        self._partial = b""  # the start of a line that goes on in the next piece

    def take(self, count: int) -> list[bytes]:
        while len(self._lines) - self._start < count and self._pieces is not None:
            piece = next(self._pieces, None)
            if piece is None:
                self._pieces = None
                new = [self._partial] if self._partial else []
            else:
                new = (self._partial + piece).split(b"\n")
                self._partial = new.pop()
            self._lines = self._lines[self._start :] + new
            self._start = 0
        taken = self._lines[self._start : self._start + count]
        self._start += len(taken)
        return taken


class _QuarantinedNumbers:
    """The line numbers of a quarantine object's records (in line order), read as far as asked."""

    def __init__(self, pieces: Iterable[bytes]):
        self._chunks = quarantine_chunks(pieces)
        self._ahead: list[int] = []

    def through(self, last: int) -> set[int]:
        """The quarantined numbers up to line `last` not given before."""
        numbers = set()
        while True:
            taken = bisect_right(self._ahead, last)
            numbers.update(self._ahead[:taken])
            del self._ahead[:taken]  # one slice a chunk, not a pop from the front per record
            if self._ahead:
                return numbers
            records = next(self._chunks, None)
            if records is None:
                return numbers
            self._ahead = [record["line"] for record in records]


def file_rows(
    name: str, raw: Iterable[bytes], output: Iterable[bytes], quarantine: Iterable[bytes]
) -> Iterator[PostingRows]:
    """The rows of one file (`posting_rows`) from its raw, output and quarantine objects read a piece at a
    time, a chunk of raw lines (ENRICHMENT_CHUNK_BYTES) at a time."""
    output_lines_ = _Lines(output)
    quarantined = _QuarantinedNumbers(quarantine)
    first_line = 1
    for chunk in cut_lines(raw, chunk_bytes()):
        lines = chunk.count(b"\n") + (not chunk.endswith(b"\n"))
        numbers, inputs = valid_inputs(chunk, quarantined.through(first_line + lines - 1), first_line)
        yield matched_rows(name, numbers, inputs, output_lines_.take(len(inputs)))
        first_line += lines
    extra = output_lines_.take(1)
    if extra:
        raise FileRowsMismatchError(
            f"{name}: more output lines than valid input lines (non-blank and not quarantined); the output, "
            "raw and quarantine objects are of different versions. Materialize the partition again so that "
            "every asset processes the file anew."
        )


def posting_rows(name: str, raw: bytes, output: bytes, quarantined_numbers: set[int]) -> PostingRows:
    """One row per output line, in order. The output holds the valid input lines in input order, which are
    the non-blank lines that were not quarantined: that gives each its line number and input bytes."""
    numbers, inputs = valid_inputs(raw, quarantined_numbers)
    return matched_rows(name, numbers, inputs, output_lines(output))


def valid_inputs(
    raw: bytes, quarantined_numbers: set[int], first_line: int = 1
) -> tuple[list[int], list[bytes]]:
    """The line numbers and bytes of the non-blank lines of `raw` not quarantined. `raw` may be a part of a
    file cut at a line end whose first line is line `first_line`."""
    inputs = split_lines(raw, file_start=first_line == 1)
    numbers = list(range(first_line, first_line + len(inputs)))
    last = first_line + len(inputs) - 1
    skipped = {number for number in quarantined_numbers if first_line <= number <= last}
    if not all(map(bytes.strip, inputs)):
        skipped.update(number for number, line in enumerate(inputs, start=first_line) if not line.strip())
    for number in sorted(skipped, reverse=True):  # a few lines: cheaper than filtering every line
        del numbers[number - first_line], inputs[number - first_line]
    return numbers, inputs


def matched_rows(name: str, numbers: list[int], inputs: list[bytes], lines: list[bytes]) -> PostingRows:
    """The rows of output `lines`, the valid input lines `numbers` and `inputs` (`valid_inputs`) in order."""
    if len(inputs) != len(lines):
        where = f" from line {numbers[0]}" if numbers and numbers[0] > 1 else ""
        raise FileRowsMismatchError(
            f"{name}: {len(lines)} output lines but {len(inputs)} valid input lines (non-blank and not "
            f"quarantined){where}; the output, raw and quarantine objects are of different versions. "
            "Materialize the partition again so that every asset processes the file anew."
        )
    rows = PostingRows(numbers, list(map(methodcaller("digest"), map(hashlib.sha256, inputs))), lines)
    if b"\\u0000" in b"".join(lines):  # one search of all the lines spares a search per line
        for index, line in enumerate(lines):
            if b"\\u0000" in line and _NUL_ESCAPE.search(line):
                rows.altered[index] = without_nul(line)
    return rows


def without_nul(line: bytes) -> bytes:
    """A JSON line with each NUL escape replaced by U+FFFD's, which jsonb accepts."""
    return _NUL_ESCAPE.sub(_REPLACEMENT_ESCAPE, line)


def reserialized(line: bytes) -> bytes:
    """The output line parsed and serialized again (numbers jsonb refuses become what a double holds) and
    without NUL: what jsonb receives for a line PostgreSQL refused as it was."""
    return without_nul(orjson.dumps(orjson.loads(line)))


# COPY's binary format: a signature (no flags, no header extension), then per row its field count and each
# field as its length (-1 for NULL) and bytes, then -1. A jsonb field is a version byte and the JSON text.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = struct.pack(">h", -1)
_POSTGRES_EPOCH = date(2000, 1, 1)
_JSONB_VERSION = 1
# line_number, content_sha256, posting_altered false, original_line NULL, and the posting's length and version
_ROW = ">ii i32s i? i iB"


def copy_binary_rows(rows: PostingRows, day: date, name: str, model_version: str) -> bytes:
    """The rows in COPY's binary format, columns as COPIED_COLUMNS, between COPY_SIGNATURE and COPY_TRAILER:
    nothing to escape, nothing for PostgreSQL to parse but the JSON."""
    source_file, version = name.encode(), model_version.encode()
    leading = struct.pack(
        f">h ii i{len(source_file)}s i{len(version)}s",
        len(COPIED_COLUMNS),
        *(4, (day - _POSTGRES_EPOCH).days),
        *(len(source_file), source_file),
        *(len(version), version),
    )
    head = struct.Struct(f">{len(leading)}s" + _ROW[1:]).pack
    # Every row's fields but the posting, by map over the columns: no Python code runs per row.
    heads = list(
        map(
            head,
            repeat(leading, len(rows)),
            *(repeat(4), rows.line_numbers),
            *(repeat(32), rows.content_sha256),
            *(repeat(1), repeat(False)),
            repeat(-1),
            map(add, map(len, rows.lines), repeat(1)),
            repeat(_JSONB_VERSION),
        )
    )
    postings = rows.lines[:] if rows.altered else rows.lines
    for index, posting in rows.altered.items():
        original = rows.lines[index]
        heads[index] = leading + struct.pack(
            f">ii i32s i? i{len(original)}s iB",
            *(4, rows.line_numbers[index]),
            *(32, rows.content_sha256[index]),
            *(1, True),
            *(len(original), original),
            *(len(posting) + 1, _JSONB_VERSION),
        )
        postings[index] = posting
    return b"".join(chain.from_iterable(zip(heads, postings)))


def quarantine_rows(records: list[dict]) -> list[tuple[int, str, str, bool]]:
    """(line_number, error, raw, raw_altered) per quarantine record; NUL, which text refuses, is replaced
    by U+FFFD and marked."""
    rows = []
    for record in records:
        error, raw = record["error"], record["raw"]
        altered = NUL in raw or NUL in error
        if altered:
            raw, error = raw.replace(NUL, REPLACEMENT_CHARACTER), error.replace(NUL, REPLACEMENT_CHARACTER)
        rows.append((record["line"], error, raw, altered))
    return rows
