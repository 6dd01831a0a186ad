import random
from collections import Counter

import pytest

from enrichment_platform.seniority.posting_noise import add_posting_noise
from enrichment_platform.seniority.scale import LEVELS
from enrichment_platform.seniority.title_generator import SEED, generate_training_titles
from enrichment_platform.seniority.training_data import (
    DEFAULT_TRAINING_DATA_PATH,
    read_training_data,
    spec_examples,
    title_key,
    training_csv_bytes,
    write_training_data,
)
from enrichment_platform.seniority.vocabulary import load_vocabulary


@pytest.fixture(scope="module")
def rows():
    return read_training_data(DEFAULT_TRAINING_DATA_PATH)


@pytest.fixture(scope="module")
def label_by_title(rows):
    return {title_key(row.title): row.seniority for row in rows}


def test_committed_csv_is_exactly_what_the_generator_produces():
    generated = training_csv_bytes(generate_training_titles(SEED))

    assert DEFAULT_TRAINING_DATA_PATH.read_bytes() == generated, "run `seniority-model build-training-data`"


def test_generator_is_deterministic_for_a_seed():
    assert generate_training_titles(7) == generate_training_titles(7)
    assert generate_training_titles(7) != generate_training_titles(8)


def test_csv_stays_small():
    assert DEFAULT_TRAINING_DATA_PATH.stat().st_size < 2_000_000


def test_at_least_ten_thousand_distinct_titles(rows):
    keys = [title_key(row.title) for row in rows]
    assert len(set(keys)) == len(keys)
    assert len(keys) >= 10_000


def test_at_least_forty_families(rows):
    assert len({row.family for row in rows}) >= 40


def test_every_level_is_well_represented(rows):
    per_level = Counter(row.seniority for row in rows)
    assert tuple(sorted(per_level)) == LEVELS
    assert min(per_level.values()) >= 500


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Head of Legal", 5),
        ("VP Network Engineering", 5),
        ("Director of Engineering, Backend Systems", 6),
        ("Managing Director, Treasury", 6),
        ("CEO", 7),
        ("Accounting Intern", 1),
    ],
)
def test_spec_conventions_are_labeled_as_the_spec_says(label_by_title, title, level):
    assert label_by_title[title_key(title)] == level


def test_all_spec_scale_examples_are_present_with_their_levels(label_by_title):
    examples = spec_examples()
    assert {example.seniority for example in examples} == set(LEVELS)
    for example in examples:
        assert label_by_title[title_key(example.title)] == example.seniority, example.title


def test_vocabulary_files_load_with_levels_on_the_scale():
    vocabulary = load_vocabulary()
    assert len(vocabulary.families) >= 40
    assert tuple(vocabulary.titles_per_level) == LEVELS
    for family in vocabulary.families:
        assert {level for _, level in family.roles} <= set(LEVELS), family.name
        assert set(family.extra) <= set(LEVELS), family.name
    for by_level in vocabulary.language_patterns.values():
        assert tuple(by_level) == LEVELS


def test_written_csv_reads_back_as_the_same_rows(tmp_path):
    rows = spec_examples()
    write_training_data(rows, tmp_path / "titles.csv")
    assert read_training_data(tmp_path / "titles.csv") == rows


def test_conventions_hold_across_the_generated_titles(rows):
    by_prefix = {"head of ": 5, "vp ": 5, "vp of ": 5, "director of ": 6, "managing director": 6, "svp ": 6}
    for row in rows:
        for prefix, level in by_prefix.items():
            if title_key(row.title).startswith(prefix):
                assert row.seniority == level, row


def test_titles_carry_real_posting_noise(rows):
    titles = [row.title for row in rows]

    def share(predicate):
        return sum(map(predicate, titles)) / len(titles)

    assert share(lambda t: "Sr." in t or "Sr " in t or "Jr." in t) > 0.01
    assert share(lambda t: " - " in t or ", " in t) > 0.15
    assert share(lambda t: "(" in t or "[" in t) > 0.1
    assert share(lambda t: t.isupper()) > 0.01
    assert share(lambda t: t.islower()) > 0.01
    assert any(t.endswith(" II") for t in titles)
    assert any("Level 3" in t for t in titles)
    for word in ("Praktikant", "Stagiaire", "Becario", "Geschäftsführer", "Directeur", "Jefe de"):
        assert any(word in t for t in titles), word


def test_noise_never_changes_what_a_title_is():
    rng = random.Random(0)
    for _ in range(200):
        noisy = add_posting_noise("Senior Vice President, Sales", "en", rng)
        assert "intern" not in noisy.casefold() and "chief" not in noisy.casefold()
