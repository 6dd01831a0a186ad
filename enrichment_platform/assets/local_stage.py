"""What one run's steps hand to each other on local disk: a cache, rebuilt from S3 when it is missing.

The three assets run one after another in one process (or on one machine); the parsed raw file and the
levels are kept here so the next step does not download and parse the raw file again. A step running
elsewhere (another run, a pod of its own) finds nothing here and rebuilds from S3, which is the truth.
"""

import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path

from enrichment_platform.core.parse import ParsedFile, parse_postings
from enrichment_platform.resources.s3 import PostingsStorage


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

    def read(self, kind: str, name: str, version: str) -> bytes | None:
        try:
            return self._path(kind, name, version).read_bytes()
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


def stage_parsed(stage: LocalStage, name: str, etag: str, parsed: ParsedFile) -> None:
    """Hand on the valid lines (for the export) and their pairs (for the augmentation) separately."""
    stage.write("lines", name, etag, b"\n".join(parsed.valid_lines))
    stage.write("pairs", name, etag, pickle.dumps((parsed.companies, parsed.titles), protocol=5))


def _parse_from_s3(stage: LocalStage, storage: PostingsStorage, name: str, etag: str) -> ParsedFile:
    parsed = parse_postings(storage.get(storage.raw, name, expected_etag=etag))
    stage_parsed(stage, name, etag, parsed)
    return parsed


def load_pairs(stage: LocalStage, storage: PostingsStorage, name: str, etag: str) -> tuple[list, list]:
    """(companies, titles) of the valid postings: from this run's stage, else from that exact raw version."""
    data = stage.read("pairs", name, etag)
    if data is not None:
        return pickle.loads(data)
    parsed = _parse_from_s3(stage, storage, name, etag)
    return parsed.companies, parsed.titles


def load_valid_lines(stage: LocalStage, storage: PostingsStorage, name: str, etag: str) -> list[bytes]:
    """The valid lines, original bytes: from this run's stage, else from that exact raw version."""
    data = stage.read("lines", name, etag)
    if data is not None:
        return data.split(b"\n") if data else []
    return _parse_from_s3(stage, storage, name, etag).valid_lines
