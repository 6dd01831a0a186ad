"""The measures behind the warning checks, and the per-file facts parsing records for them."""

import orjson
import pytest

from enrichment_platform.postings.parse import parse_postings, repeated_values
from enrichment_platform.postings.quality import (
    level_shares,
    newest_file_age,
    pooled_counts,
    share,
    total_variation_distance,
)


def posting(**fields) -> bytes:
    base = {"url": "https://x/1", "company": "Acme", "title": "CFO", "location": "NY", "scraped_on": 1}
    return orjson.dumps({key: value for key, value in {**base, **fields}.items() if value != "<absent>"})


def test_share_of_an_empty_whole_is_zero():
    assert share(3, 4) == 0.75
    assert share(0, 0) == 0.0


def test_level_shares_sum_to_one_or_are_all_zero():
    assert level_shares([1, 1, 2, 0, 0, 0, 0]) == [0.25, 0.25, 0.5, 0, 0, 0, 0]
    assert level_shares([0] * 7) == [0.0] * 7


def test_pooled_counts_add_element_wise():
    assert pooled_counts([[1, 2, 0, 0, 0, 0, 0], [0, 1, 3, 0, 0, 0, 1]]) == [1, 3, 3, 0, 0, 0, 1]
    assert pooled_counts([]) == [0] * 7


def test_total_variation_distance_ignores_volume_and_measures_the_moved_share():
    assert total_variation_distance([10, 20, 0], [100, 200, 0]) == 0.0
    assert total_variation_distance([1, 0, 0], [0, 0, 1]) == 1.0
    assert total_variation_distance([50, 50, 0], [60, 40, 0]) == pytest.approx(0.10)


def test_total_variation_distance_refuses_distributions_of_other_sizes():
    with pytest.raises(ValueError, match="differ in size"):
        total_variation_distance([1, 2], [1, 2, 3])


def test_newest_file_age_counts_from_midnight_when_the_day_has_no_file():
    assert newest_file_age(1_000, day_start=0, now=1_600) == 600
    assert newest_file_age(None, day_start=0, now=1_600) == 1_600
    assert newest_file_age(2_000, day_start=0, now=1_600) == 0.0  # a file named a little in the future


def test_repeated_values_count_every_copy_after_the_first_and_ignore_nulls():
    assert repeated_values(["a", "b", "a", "a", None, None]) == 2
    assert repeated_values([]) == 0
    assert repeated_values(["a", ["x"], ["x"], {"k": 1}, "a"]) == 1  # unhashable urls are not compared


def test_parse_counts_complete_postings_over_valid_lines_only():
    data = b"\n".join(
        [
            posting(),
            posting(location=None),
            posting(scraped_on="<absent>"),
            posting(url=None),
            posting(location=""),  # present and non-null: complete
            b'{"company": "Acme", "title": ""}',  # quarantined: not counted
            b"",
        ]
    )
    parsed = parse_postings(data)
    assert (parsed.valid, parsed.complete) == (5, 2)


def test_parse_counts_urls_repeated_within_the_file():
    data = b"\n".join(
        [
            posting(url="https://x/1"),
            posting(url="https://x/2"),
            posting(url="https://x/1"),
            posting(url="https://x/1"),
            posting(url=None),
            posting(url=None),
            b'{"url": "https://x/2", "company": "Acme"}',  # quarantined: not counted
        ]
    )
    assert parse_postings(data).duplicate_urls == 2
