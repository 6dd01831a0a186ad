"""What one run's steps hand to each other on local disk: a cache, rebuilt from S3 when it is missing.

The assets run one after another in one process (or on one machine); the parsed raw file (its output
waiting for the levels, and its pairs) and the levels are kept here so the next step does not download and
parse the raw file again, and the raw, quarantine and output objects as they were read or written, so that
the warehouse does not download them again. A step running elsewhere (another run, a pod of its own) finds
nothing here and rebuilds from S3, which is the truth.

This module does not import Dagster: `validate_and_stage` runs in the step's worker processes too.
"""

import os
import pickle
import shutil
import struct
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from enrichment_platform.pipeline.augment import DistinctPairs, distinct_pairs
from enrichment_platform.pipeline.chunks import READ_PIECE_BYTES, Pieces
from enrichment_platform.postings.parse import ParsedFile, parse_postings, quarantine_jsonl
from enrichment_platform.postings.template import seniority_template

if TYPE_CHECKING:  # worker processes import this module: they need not load botocore
    from enrichment_platform.pipeline.storage import PipelineStorage

PARSED = "parsed"  # a validated raw file, for the augmentation and the export
TEMPLATE, DIGIT_OFFSETS, KEYS, SPELLINGS = range(4)  # its sections
# Objects kept as they were read or written, for the warehouse: raw files and their quarantine by the raw
# file's ETag, outputs by their own.
RAW, QUARANTINE, EXPORTED = "raw", "quarantine", "exported"


class LocalStage:
    """Files of one run and partition under `ENRICHMENT_LOCAL_STAGE_DIR` (default: the system temp dir)."""

    def __init__(self, run_id: str, partition_key: str):
        base = Path(os.environ.get("ENRICHMENT_LOCAL_STAGE_DIR") or tempfile.gettempdir())
        self.root = base / "enrichment-stage" / run_id / partition_key
        self._made: set[Path] = set()

    def _path(self, kind: str, name: str, version: str) -> Path:
        return self.root / kind / f"{name}.{version}"

    def write(self, kind: str, name: str, version: str, data: bytes) -> None:
        path = self._path(kind, name, version)
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see a half-written file

    def writer(self, kind: str, name: str) -> "StageFileWriter":
        """A file written piece by piece, readable at its path only once `commit`ted with its version (which
        may be known only at the end: an output's ETag)."""
        path = self._path(kind, name, f"{uuid.uuid4().hex}.partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        return StageFileWriter(path, lambda version: self._path(kind, name, version))

    def exists(self, kind: str, name: str, version: str) -> bool:
        return self._path(kind, name, version).is_file()

    def open(self, kind: str, name: str, version: str) -> BinaryIO:
        return self._path(kind, name, version).open("rb")

    def pieces(self, kind: str, name: str, version: str) -> Iterator[bytes]:
        """A staged file read a piece at a time."""
        with self.open(kind, name, version) as file:
            while piece := file.read(READ_PIECE_BYTES):
                yield piece

    def read(self, kind: str, name: str, version: str) -> bytes | None:
        try:
            return self._path(kind, name, version).read_bytes()
        except FileNotFoundError:
            return None

    def remove_file(self, kind: str, name: str, version: str) -> None:
        self._path(kind, name, version).unlink(missing_ok=True)

    def write_sections(self, kind: str, name: str, version: str, sections: list[bytes]) -> None:
        """Several parts in one file (one file to create instead of several): their lengths, then each."""
        header = struct.pack(f"<{len(sections) + 1}Q", len(sections), *map(len, sections))
        self.write(kind, name, version, b"".join([header, *sections]))

    def read_section(self, kind: str, name: str, version: str, index: int) -> bytes | None:
        """Part `index` of a file written by `write_sections`, reading only that part."""
        try:
            with self._path(kind, name, version).open("rb") as file:
                (count,) = struct.unpack("<Q", file.read(8))
                lengths = struct.unpack(f"<{count}Q", file.read(8 * count))
                file.seek(8 * (count + 1) + sum(lengths[:index]))
                return file.read(lengths[index])
        except FileNotFoundError:
            return None

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def sweep(self, max_age_seconds: float = 86_400) -> None:
        """Remove other runs' stages older than `max_age_seconds` (left behind by runs that failed)."""
        runs = self.root.parent.parent
        if not runs.is_dir():
            return
        for run_dir in runs.iterdir():
            if run_dir != self.root.parent and time.time() - run_dir.stat().st_mtime > max_age_seconds:
                shutil.rmtree(run_dir, ignore_errors=True)


class StageFileWriter:
    """A stage file being written under a temporary name; discarded unless committed (also on error, as a
    context manager)."""

    def __init__(self, partial: Path, path_of: Callable[[str], Path]):
        self._partial, self._path_of = partial, path_of
        self._file = partial.open("wb")

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def commit(self, version: str) -> None:
        self._file.close()
        self._partial.replace(self._path_of(version))

    def discard(self) -> None:
        self._file.close()
        self._partial.unlink(missing_ok=True)

    def __enter__(self) -> "StageFileWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.discard()  # nothing left once committed


def stage_parsed(stage: LocalStage, name: str, etag: str, parsed: ParsedFile) -> DistinctPairs:
    """Hand on the output of the valid lines waiting for their levels (for the export) and their distinct
    normalized pairs (for the augmentation): the keys and each line's key index, and apart from them one
    spelling per key, read only for misses."""
    pairs = distinct_pairs(parsed.companies, parsed.titles)
    template, digit_offsets = seniority_template(parsed.valid_lines)
    sections = [
        template,
        digit_offsets.tobytes(),
        pickle.dumps((pairs.keys, pairs.inverse), protocol=5),
        pickle.dumps(pairs.spellings(), protocol=5),
    ]
    stage.write_sections(PARSED, name, etag, sections)  # TEMPLATE, DIGIT_OFFSETS, KEYS, SPELLINGS
    return pairs


def validate_and_stage(stage: LocalStage, name: str, etag: str, data: bytes) -> tuple[dict, bytes]:
    """Validate a raw file and stage its valid part; its facts for the manifest, and its quarantine JSONL
    (empty when every line is valid). The CPU-bound part of raw_job_postings, for a worker process."""
    parsed = parse_postings(data)
    stage_parsed(stage, name, etag, parsed)
    facts = {
        "lines": parsed.lines,
        "blank": parsed.blank,
        "valid": parsed.valid,
        "quarantined": parsed.quarantined,
        "complete": parsed.complete,  # for the checks raw_schema_completeness and duplicate_url_rate
        "duplicate_urls": parsed.duplicate_urls,
    }
    return facts, quarantine_jsonl(parsed.quarantine)


def validate_staged(stage: LocalStage, name: str, etag: str) -> tuple[dict, bytes]:
    """`validate_and_stage` of a raw file the step staged (kind RAW), for a worker process: a file on local
    disk reaches the worker for less CPU than the pool's pipe (1.0 against 2.4 ms a file)."""
    data = stage.read(RAW, name, etag)
    if data is None:
        raise FileNotFoundError(f"{name} ({etag}) was not handed to the worker: {stage.root}/{RAW}")
    return validate_and_stage(stage, name, etag, data)


def warehouse_inputs(
    stage: LocalStage,
    storage: "PipelineStorage",
    name: str,
    raw_etag: str,
    quarantined: bool,
    output_etag: str,
) -> tuple[Pieces, Pieces, Pieces | None]:
    """The raw, output and quarantine (None when the file has none) objects of one file, each opened afresh
    by a call and read a piece at a time: from this run's stage where its steps left them, else from S3 (the
    raw and output at exactly these versions)."""
    raw_staged = stage.exists(RAW, name, raw_etag)
    raw = (
        partial(stage.pieces, RAW, name, raw_etag)
        if raw_staged
        else partial(storage.get_pieces, storage.raw, name, raw_etag)
    )
    output = (
        partial(stage.pieces, EXPORTED, name, output_etag)
        if stage.exists(EXPORTED, name, output_etag)
        else partial(storage.get_pieces, storage.augmented, name, output_etag)
    )
    quarantine = None
    if quarantined:
        quarantine = (
            partial(stage.pieces, QUARANTINE, name, raw_etag)
            if raw_staged and stage.exists(QUARANTINE, name, raw_etag)
            else partial(storage.get_pieces, storage.quarantine, name)
        )
    return raw, output, quarantine


def remove_warehouse_inputs(stage: LocalStage, name: str, raw_etag: str, output_etag: str) -> None:
    """Forget one file's objects once the warehouse holds its rows."""
    for kind, etag in ((RAW, raw_etag), (QUARANTINE, raw_etag), (EXPORTED, output_etag)):
        stage.remove_file(kind, name, etag)


def _parse_from_s3(
    stage: LocalStage, storage: "PipelineStorage", name: str, etag: str
) -> tuple[ParsedFile, DistinctPairs]:
    parsed = parse_postings(storage.get(storage.raw, name, expected_etag=etag))
    return parsed, stage_parsed(stage, name, etag, parsed)


def load_pairs(stage: LocalStage, storage: "PipelineStorage", name: str, etag: str) -> DistinctPairs:
    """The distinct pairs of the valid postings: from this run's stage, else from that exact raw version."""
    data = stage.read_section(PARSED, name, etag, KEYS)
    if data is None:
        return _parse_from_s3(stage, storage, name, etag)[1]
    keys, inverse = pickle.loads(data)

    @cache  # asked again in each round that finds pairs to infer: read and unpickled once
    def spellings() -> list[tuple[str, str]]:
        staged = stage.read_section(PARSED, name, etag, SPELLINGS)
        if staged is None:  # removed since (the stage was swept): the raw file has them
            return _parse_from_s3(stage, storage, name, etag)[1].spellings()
        return pickle.loads(staged)

    return DistinctPairs(keys=keys, inverse=inverse, spellings=spellings)


def load_template(
    stage: LocalStage, storage: "PipelineStorage", name: str, etag: str
) -> tuple[bytes, np.ndarray]:
    """The output of the valid lines (original bytes) with placeholder levels, and the offset of each
    line's placeholder (see postings/template.py): from this run's stage, else from that exact raw version."""
    template = stage.read_section(PARSED, name, etag, TEMPLATE)
    digit_offsets = stage.read_section(PARSED, name, etag, DIGIT_OFFSETS)
    if template is None or digit_offsets is None:
        _parse_from_s3(stage, storage, name, etag)  # stages the template with the file's other sections
        template = stage.read_section(PARSED, name, etag, TEMPLATE)
        digit_offsets = stage.read_section(PARSED, name, etag, DIGIT_OFFSETS)
    return template, np.frombuffer(digit_offsets, dtype=np.int64)
