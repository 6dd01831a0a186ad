"""Output lines matched to their input lines, and the forms of values PostgreSQL refuses."""

import hashlib

import orjson
import pytest

from enrichment_platform.warehouse.rows import (
    FileRowsMismatchError,
    posting_rows,
    quarantine_rows,
    reserialized,
    without_nul,
)


def test_line_numbers_skip_blank_and_quarantined_lines_and_hashes_are_of_the_input_bytes():
    raw = b'\xef\xbb\xbf{"title":"A","company":"x"}\r\n\n  \nnot json\n{"title":"B","company":"y"}  \n'
    output = b'{"title":"A","company":"x","seniority":1}\n{"title":"B","company":"y","seniority":2}\n'

    rows = posting_rows("1.jsonl", raw, output, quarantined_numbers={4})

    assert list(rows.line_numbers) == [1, 5]
    assert rows.content_sha256[0] == hashlib.sha256(b'{"title":"A","company":"x"}').digest()
    assert rows.content_sha256[1] == hashlib.sha256(b'{"title":"B","company":"y"}  ').digest()
    assert rows.altered == {}


def test_a_file_without_blank_or_quarantined_lines_numbers_every_line():
    raw = b'{"title":"A"}\r\n{"title":"B"}\r\n'
    output = b'{"title":"A","seniority":1}\n{"title":"B","seniority":2}\n'

    rows = posting_rows("1.jsonl", raw, output, quarantined_numbers=set())

    assert list(rows.line_numbers) == [1, 2]
    assert rows.content_sha256 == [
        hashlib.sha256(line).digest() for line in (b'{"title":"A"}', b'{"title":"B"}')
    ]


def test_outputs_of_another_version_than_the_raw_file_are_refused():
    with pytest.raises(FileRowsMismatchError, match="1 output lines but 2 valid input lines"):
        posting_rows("1.jsonl", b'{"title":"A"}\n{"title":"B"}\n', b'{"title":"A","seniority":1}\n', set())


def test_only_real_nul_escapes_are_replaced_and_the_row_keeps_its_original_line():
    line = rb'{"title":"a\u0000b","company":"\\u0000","x":"\\\u0000","seniority":3}'
    rows = posting_rows("1.jsonl", line + b"\n", line + b"\n", set())

    assert without_nul(line) == rb'{"title":"a\ufffdb","company":"\\u0000","x":"\\\ufffd","seniority":3}'
    assert (rows.altered, rows.lines) == ({0: without_nul(line)}, [line])
    assert rows.posting(0) == without_nul(line)
    escaped_backslash = rb'{"title":"\\u0000","company":"c","seniority":3}'
    assert posting_rows("1.jsonl", escaped_backslash, escaped_backslash, set()).altered == {}


def test_a_reserialized_posting_keeps_its_values_without_nul():
    line = rb'{"title":"t\u0000","n":1e-20000,"seniority":2}'

    fitted = reserialized(line)

    assert orjson.loads(fitted) == {"title": "t\ufffd", "n": 0.0, "seniority": 2}


def test_a_quarantined_line_number_beyond_the_file_is_a_mismatch_not_a_crash():
    with pytest.raises(FileRowsMismatchError, match="1 output lines but 2 valid input lines"):
        posting_rows("1.jsonl", b'{"title":"A"}\n{"title":"B"}\n', b'{"title":"A","seniority":1}\n', {3})


def test_nul_in_a_quarantined_line_is_replaced_and_marked():
    records = [{"line": 2, "error": "invalid JSON", "raw": "a\x00b"}, {"line": 3, "error": "e", "raw": "ok"}]

    assert quarantine_rows(records) == [(2, "invalid JSON", "a\ufffdb", True), (3, "e", "ok", False)]
