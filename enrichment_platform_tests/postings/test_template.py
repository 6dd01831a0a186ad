import numpy as np
import orjson
import pytest

from enrichment_platform.postings.template import (
    encode_levels,
    fill_seniority,
    level_counts,
    seniority_template,
)


def splice_seniority(lines: list[bytes], levels: np.ndarray) -> bytes:
    """The output of `lines` with `levels`, as the validation (template) and export (fill) steps build it."""
    return fill_seniority(*seniority_template(lines), encode_levels(levels))


def test_seniority_is_added_as_the_last_field_keeping_every_original_byte():
    line = b'{"url": "u", "company": "Acme", "title": "CFO", "scraped_on": 1721183915, "x": {"y": [1]}}'
    out = splice_seniority([line], np.array([7], dtype=np.uint8))
    assert out == line[:-1] + b',"seniority":7}\n'
    parsed = orjson.loads(out)
    assert parsed["seniority"] == 7 and parsed["x"] == {"y": [1]}


def test_a_template_filled_with_levels_is_each_line_with_its_own_level():
    lines = [b"{}", b'{"title": "Ing\xc3\xa9nieur \xe6\x9d\xb1\xe4\xba\xac"}', b'{"a": "}"}', b'{"n": 1}']
    levels = np.array([1, 7, 0, 4], dtype=np.uint8)
    template, digit_offsets = seniority_template(lines)
    assert bytes(template[offset] for offset in digit_offsets.tolist()) == b"0000"
    assert fill_seniority(template, digit_offsets, encode_levels(levels)) == b"".join(
        line[:-1] + b',"seniority":%d}\n' % level for line, level in zip(lines, levels.tolist())
    )
    assert template == fill_seniority(template, digit_offsets, b"0000")  # left unchanged


def test_a_level_that_is_not_one_digit_of_the_scale_is_refused():
    template, digit_offsets = seniority_template([b"{}"])
    with pytest.raises(ValueError, match="seniority level 8"):
        fill_seniority(template, digit_offsets, b"8")


def test_no_lines_give_an_empty_object():
    assert splice_seniority([], np.zeros(0, dtype=np.uint8)) == b""


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="2 lines but 1 seniority"):
        splice_seniority([b"{}", b"{}"], np.array([1], dtype=np.uint8))


def test_levels_round_trip_as_digits():
    levels = np.array([1, 7, 3], dtype=np.uint8)
    assert encode_levels(levels) == b"173"
    assert (np.frombuffer(b"173", dtype=np.uint8) - ord("0")).tolist() == [1, 7, 3]


def test_level_counts():
    assert level_counts(np.array([1, 1, 7, 0], dtype=np.uint8)) == [2, 0, 0, 0, 0, 0, 1]
