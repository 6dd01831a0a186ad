"""Score a model artifact on the independent evaluation titles: exact and within-one accuracy, confusion.

The evaluation set (resources/evaluation/titles.csv) is written by hand, apart from the training generator, so
it measures how the model reads titles as job boards write them; the generator's own held-out split is
reported by `seniority-model train`, never here.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from enrichment_platform.seniority.data_files import evaluation_directory
from enrichment_platform.seniority.model import SeniorityClassifier
from enrichment_platform.seniority.scale import LEVELS

EVALUATION_COLUMNS = ("title", "level", "category", "language", "note")


@dataclass(frozen=True)
class EvaluationTitle:
    """One hand-labeled title: its level, the category of titles it stands for, its language and why."""

    title: str
    level: int
    category: str
    language: str
    note: str


@dataclass(frozen=True)
class Score:
    """Exact and within-one-level accuracy of a group of titles."""

    group: str
    titles: int
    exact: float
    within_one: float


@dataclass(frozen=True)
class EvaluationReport:
    """Scores overall, per level, per category and per language; the confusion matrix (rows: true level)."""

    model_version: str
    overall: Score
    per_level: list[Score]
    per_category: list[Score]
    per_language: list[Score]
    confusion_matrix: list[list[int]]
    misses: list[tuple[EvaluationTitle, int]]


def default_evaluation_set_path() -> Path:
    """The evaluation titles that ship with the package (resources/evaluation/titles.csv)."""
    return evaluation_directory() / "titles.csv"


def read_evaluation_set(path: Path | None = None) -> list[EvaluationTitle]:
    """Read an evaluation CSV (columns title,level,category,language,note); default: the shipped one."""
    path = Path(path) if path is not None else default_evaluation_set_path()
    if not path.exists():
        raise FileNotFoundError(f"evaluation set not found at {path}; it ships in resources/evaluation/")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != EVALUATION_COLUMNS:
            raise ValueError(
                f"{path} must have the columns {','.join(EVALUATION_COLUMNS)}, found {reader.fieldnames}"
            )
        rows = [
            EvaluationTitle(row["title"], int(row["level"]), row["category"], row["language"], row["note"])
            for row in reader
        ]
    off_scale = [row.title for row in rows if row.level not in LEVELS]
    if off_scale:
        raise ValueError(f"{path} has levels outside {LEVELS[0]}..{LEVELS[-1]} for {off_scale[:5]}")
    return rows


def _score(group: str, expected: np.ndarray, predicted: np.ndarray) -> Score:
    return Score(
        group=group,
        titles=len(expected),
        exact=float(np.mean(expected == predicted)),
        within_one=float(np.mean(np.abs(expected - predicted) <= 1)),
    )


def _scores_by(keys: list[str], expected: np.ndarray, predicted: np.ndarray) -> list[Score]:
    members: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        members[key].append(index)
    return [_score(key, expected[indices], predicted[indices]) for key, indices in members.items()]


def evaluate_model(model: SeniorityClassifier, rows: list[EvaluationTitle]) -> EvaluationReport:
    """Predict every evaluation title (the company is not used) and score the predictions."""
    if not rows:
        raise ValueError("the evaluation set is empty; give it at least one labeled title")
    expected = np.array([row.level for row in rows], dtype=np.int32)
    predicted = model.predict([""] * len(rows), [row.title for row in rows])
    matrix = np.zeros((len(LEVELS), len(LEVELS)), dtype=np.int64)
    np.add.at(matrix, (expected - LEVELS[0], predicted - LEVELS[0]), 1)
    level_scores = _scores_by([str(level) for level in expected], expected, predicted)
    return EvaluationReport(
        model_version=model.version,
        overall=_score("all", expected, predicted),
        per_level=sorted(level_scores, key=lambda score: int(score.group)),
        per_category=_scores_by([row.category for row in rows], expected, predicted),
        per_language=_scores_by([row.language for row in rows], expected, predicted),
        confusion_matrix=matrix.tolist(),
        misses=[(row, int(level)) for row, level in zip(rows, predicted) if level != row.level],
    )


def _score_table(heading: str, scores: list[Score]) -> list[str]:
    lines = [f"| {heading} | titles | exact | within one |", "|---|---:|---:|---:|"]
    lines += [
        f"| {score.group} | {score.titles} | {score.exact:.1%} | {score.within_one:.1%} |" for score in scores
    ]
    return lines


def format_evaluation(report: EvaluationReport, show_misses: bool = False) -> str:
    """The report as markdown: the score tables and the confusion matrix, optionally every miss."""
    lines = [
        f"Model {report.model_version} on {report.overall.titles} evaluation titles: "
        f"**{report.overall.exact:.1%}** exact, **{report.overall.within_one:.1%}** within one level.",
        "",
        *_score_table("level", report.per_level),
        "",
        *_score_table("category", report.per_category),
        "",
        *_score_table("language", report.per_language),
        "",
        "Confusion matrix (rows: true level, columns: predicted):",
        "",
        "| | " + " | ".join(str(level) for level in LEVELS) + " |",
        "|---|" + "---:|" * len(LEVELS),
    ]
    lines += [
        f"| **{level}** | " + " | ".join(str(count) for count in counts) + " |"
        for level, counts in zip(LEVELS, report.confusion_matrix)
    ]
    if show_misses:
        lines += ["", "| title | expected | predicted | category |", "|---|---:|---:|---|"]
        lines += [f"| {row.title} | {row.level} | {level} | {row.category} |" for row, level in report.misses]
    return "\n".join(lines)
