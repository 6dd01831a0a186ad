"""The labeled training titles as CSV (title,seniority,family): read, write, summarize; the scale examples."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from enrichment_platform.seniority.data_files import TRAINING_DIR

DEFAULT_TRAINING_DATA_PATH = TRAINING_DIR / "seniority_titles.csv"
# The scale's own examples: always in the training set, with exactly these labels.
SPEC_EXAMPLES_PATH = TRAINING_DIR / "spec_examples.csv"
CSV_COLUMNS = ("title", "seniority", "family")


@dataclass(frozen=True)
class LabeledTitle:
    """One training row: a job title, its seniority level 1..7 and the job family it was drawn from."""

    title: str
    seniority: int
    family: str


def title_key(title: str) -> str:
    """The contract's normalization (NFKC, casefold, single spaces); titles equal under it are one title."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def training_csv_bytes(rows: list[LabeledTitle]) -> bytes:
    """Serialize rows as UTF-8 CSV with the header title,seniority,family and LF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows((row.title, row.seniority, row.family) for row in rows)
    return buffer.getvalue().encode("utf-8")


def write_training_data(rows: list[LabeledTitle], path: Path = DEFAULT_TRAINING_DATA_PATH) -> None:
    """Write rows as CSV to path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(training_csv_bytes(rows))


def read_training_data(path: Path = DEFAULT_TRAINING_DATA_PATH) -> list[LabeledTitle]:
    """Read a training CSV written by write_training_data."""
    if not path.exists():
        raise FileNotFoundError(
            f"training data not found at {path}; run `seniority-model build-training-data` to create it"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
            raise ValueError(
                f"{path} must have the columns {','.join(CSV_COLUMNS)}, found {reader.fieldnames}"
            )
        return [LabeledTitle(row["title"], int(row["seniority"]), row["family"]) for row in reader]


def spec_examples() -> list[LabeledTitle]:
    """The scale's own examples with their levels (resources/training/spec_examples.csv)."""
    return read_training_data(SPEC_EXAMPLES_PATH)


def summarize(rows: list[LabeledTitle]) -> str:
    """One line of counts: rows, distinct families and rows per level."""
    levels = Counter(row.seniority for row in rows)
    families = {row.family for row in rows}
    per_level = " ".join(f"{level}:{levels[level]}" for level in sorted(levels))
    return f"{len(rows)} titles, {len(families)} families, per level {per_level}"
