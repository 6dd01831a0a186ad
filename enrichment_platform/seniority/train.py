"""Train the seniority classifier on the labeled titles, report held-out accuracy and save the artifact."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import train_test_split

from enrichment_platform.seniority.model import (
    DEFAULT_MODEL_PATH,
    HYPERPARAMS,
    SENIORITY_LEVELS,
    SeniorityClassifier,
)
from enrichment_platform.seniority.training_data import (
    DEFAULT_TRAINING_DATA_PATH,
    LabeledTitle,
    read_training_data,
    spec_examples,
    title_key,
)

METRICS_FILE_NAME = "metrics.json"


@dataclass(frozen=True)
class TrainTestSplit:
    """Titles and levels the model is fitted on, and the held-out ones it is scored on."""

    train_titles: list[str]
    train_levels: np.ndarray
    test_titles: list[str]
    test_levels: np.ndarray


def split_training_data(rows: list[LabeledTitle], params: dict[str, Any] = HYPERPARAMS) -> TrainTestSplit:
    """Stratified split with a fixed seed; the scale's own examples always stay in the training part."""
    spec_keys = {title_key(example.title) for example in spec_examples()}
    pinned = [row for row in rows if title_key(row.title) in spec_keys]
    rest = [row for row in rows if title_key(row.title) not in spec_keys]
    train_rows, test_rows = train_test_split(
        rest,
        test_size=params["test_size"],
        random_state=params["split_seed"],
        stratify=[row.seniority for row in rest],
    )
    train_rows = pinned + train_rows
    return TrainTestSplit(
        train_titles=[row.title for row in train_rows],
        train_levels=np.array([row.seniority for row in train_rows], dtype=np.int32),
        test_titles=[row.title for row in test_rows],
        test_levels=np.array([row.seniority for row in test_rows], dtype=np.int32),
    )


def evaluate(model: SeniorityClassifier, titles: list[str], levels: np.ndarray) -> dict[str, Any]:
    """Accuracy and confusion matrix (rows = true level, columns = predicted, both in LEVELS order)."""
    predicted = model.predict([""] * len(titles), titles)
    return {
        "accuracy": round(float(accuracy_score(levels, predicted)), 4),
        "confusion_matrix": confusion_matrix(levels, predicted, labels=SENIORITY_LEVELS).tolist(),
    }


def train_and_save(
    data_path: Path = DEFAULT_TRAINING_DATA_PATH,
    model_path: Path = DEFAULT_MODEL_PATH,
    params: dict[str, Any] = HYPERPARAMS,
) -> dict[str, Any]:
    """Fit on the training part, score on the held-out part, write the artifact and metrics.json beside it."""
    rows = read_training_data(Path(data_path))
    training_data = Path(data_path).read_bytes()
    split = split_training_data(rows, params)
    model = SeniorityClassifier.train(
        split.train_titles, split.train_levels, training_data=training_data, params=params
    )
    metrics = {
        "version": model.version,
        **evaluate(model, split.test_titles, split.test_levels),
        "labels": SENIORITY_LEVELS.tolist(),
        "n_train": len(split.train_titles),
        "n_test": len(split.test_titles),
        "training_data": Path(data_path).name,
        "hyperparams": params,
        "scikit_learn": sklearn.__version__,
    }
    model_path = Path(model_path)
    model.save(model_path)
    (model_path.parent / METRICS_FILE_NAME).write_text(metrics_json(metrics), encoding="utf-8")
    return metrics


def metrics_json(metrics: dict[str, Any]) -> str:
    """metrics as JSON with one top-level key per line, so the confusion matrix stays readable in diffs."""
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in metrics.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def format_report(metrics: dict[str, Any]) -> str:
    """Human-readable accuracy and confusion matrix for the terminal."""
    header = "true\\pred " + " ".join(f"{level:>5}" for level in metrics["labels"])
    lines = [
        f"model {metrics['version']}: held-out accuracy {metrics['accuracy']:.4f} "
        f"(n_train={metrics['n_train']}, n_test={metrics['n_test']})",
        header,
    ]
    for level, counts in zip(metrics["labels"], metrics["confusion_matrix"]):
        lines.append(f"{level:>9} " + " ".join(f"{count:>5}" for count in counts))
    return "\n".join(lines)
