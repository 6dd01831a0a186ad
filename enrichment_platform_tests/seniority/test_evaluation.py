"""The independent evaluation set and `seniority-model evaluate`."""

from collections import Counter

import numpy as np
import pytest

from enrichment_platform.seniority.cli import main
from enrichment_platform.seniority.evaluation import (
    EvaluationTitle,
    default_evaluation_set_path,
    evaluate_model,
    read_evaluation_set,
)
from enrichment_platform.seniority.model import DEFAULT_MODEL_PATH, SeniorityClassifier
from enrichment_platform.seniority.scale import LEVELS
from enrichment_platform.seniority.training_data import (
    DEFAULT_TRAINING_DATA_PATH,
    read_training_data,
    title_key,
)

# The targets of the shipped model on the independent set; docs/model.md has the measured figures.
EXACT_FLOOR = 0.95
WITHIN_ONE_FLOOR = 0.99

TINY_SET = (
    "title,level,category,language,note\n"
    "Chief Executive Officer,7,c_level,en,\n"
    "Stagiaire Marketing,1,ladder,fr,\n"
    "Teamleiter Vertrieb,4,manager,de,Teamleiter = team lead\n"
    "Jefe de Ventas,5,manager,es,jefe de <department> = head of\n"
)


class FixedModel:
    """Answers a fixed level per title, so the scores of the report can be checked by hand."""

    version = "sm-fixed"

    def __init__(self, levels):
        self.levels = levels

    def predict(self, companies, titles):
        return np.array([self.levels[title] for title in titles], dtype=np.int32)


@pytest.fixture(scope="module")
def evaluation_set():
    return read_evaluation_set(default_evaluation_set_path())


def test_evaluation_set_is_large_and_covers_the_four_languages_and_every_level(evaluation_set):
    assert len(evaluation_set) >= 500
    assert {row.language for row in evaluation_set} == {"en", "fr", "es", "de"}
    assert {row.level for row in evaluation_set} == set(LEVELS)
    per_category = Counter(row.category for row in evaluation_set)
    assert len(per_category) >= 10 and min(per_category.values()) >= 15


def test_evaluation_titles_are_distinct(evaluation_set):
    keys = [title_key(row.title) for row in evaluation_set]
    assert len(set(keys)) == len(keys)


def test_no_evaluation_title_is_in_the_training_data(evaluation_set):
    training = {title_key(row.title) for row in read_training_data(DEFAULT_TRAINING_DATA_PATH)}
    overlap = [row.title for row in evaluation_set if title_key(row.title) in training]
    assert not overlap, f"evaluation titles must stay out of the training data: {overlap}"


def test_report_scores_exact_and_within_one_per_group():
    rows = [
        EvaluationTitle("a", 1, "x", "en", ""),
        EvaluationTitle("b", 3, "x", "en", ""),
        EvaluationTitle("c", 5, "y", "de", ""),
        EvaluationTitle("d", 7, "y", "de", ""),
    ]
    report = evaluate_model(FixedModel({"a": 1, "b": 4, "c": 2, "d": 7}), rows)
    assert (report.overall.exact, report.overall.within_one) == (0.5, 0.75)
    by_category = {score.group: (score.exact, score.within_one) for score in report.per_category}
    assert by_category == {"x": (0.5, 1.0), "y": (0.5, 0.5)}
    assert [score.group for score in report.per_level] == ["1", "3", "5", "7"]
    assert report.confusion_matrix[2][3] == 1 and report.confusion_matrix[4][1] == 1
    assert sum(map(sum, report.confusion_matrix)) == 4
    assert [(row.title, level) for row, level in report.misses] == [("b", 4), ("c", 2)]


def test_evaluate_command_prints_the_tables_and_the_confusion_matrix(tmp_path, capsys):
    data = tmp_path / "titles.csv"
    data.write_text(TINY_SET, encoding="utf-8")
    assert main(["evaluate", "--data", str(data), "--misses"]) == 0
    out = capsys.readouterr().out
    assert "on 4 evaluation titles" in out and "exact" in out and "within one level" in out
    for heading in ("| level |", "| category |", "| language |", "| title | expected | predicted |"):
        assert heading in out, heading
    assert "| **7** |" in out and "| manager | 2 |" in out and "| de | 1 |" in out


def test_evaluate_command_refuses_a_file_with_other_columns(tmp_path):
    data = tmp_path / "titles.csv"
    data.write_text("title,seniority\nCEO,7\n", encoding="utf-8")
    assert main(["evaluate", "--data", str(data)]) == 1


def test_shipped_model_meets_the_floors_on_the_independent_set(evaluation_set):
    report = evaluate_model(SeniorityClassifier.load(DEFAULT_MODEL_PATH), evaluation_set)
    misses = [(row.title, row.level, level) for row, level in report.misses]
    assert report.overall.exact >= EXACT_FLOOR, misses
    assert report.overall.within_one >= WITHIN_ONE_FLOOR, [m for m in misses if abs(m[1] - m[2]) > 1]
