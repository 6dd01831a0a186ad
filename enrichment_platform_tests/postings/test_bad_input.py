"""Bad and odd input, kind by kind ("nothing lost"): every non-blank line ends valid or quarantined with a
reason, blank lines are counted, valid + quarantined == lines - blank, and parsing never raises."""

import gzip
from dataclasses import dataclass

import numpy as np
import orjson
import pytest

from enrichment_platform.postings.parse import parse_postings
from enrichment_platform.postings.template import encode_levels, fill_seniority, seniority_template

BOM = b"\xef\xbb\xbf"
MB = 1 << 20


def splice_seniority(lines: list[bytes], levels: np.ndarray) -> bytes:
    """The output of `lines` with `levels`, as the validation (template) and export (fill) steps build it."""
    return fill_seniority(*seniority_template(lines), encode_levels(levels))


def post(**fields) -> bytes:
    """One posting line (no ending): the example posting with `fields` set, or removed where `...`."""
    posting = {
        "url": "https://www.acmecorp.com/job/9751/",
        "company": "Acme Corp",
        "title": "Senior Data Engineer",
        "location": "New York, NY",
        "scraped_on": 1721183915,
    }
    posting.update(fields)
    return orjson.dumps({key: value for key, value in posting.items() if value is not ...})


GOOD = post()
BAD = b'{"company": "Acme", "title": '  # truncated


def file_lines(data: bytes) -> list[bytes]:
    """A file's lines by the contract's rules, written apart from parse.split_lines: a BOM at the start is
    dropped, a final newline does not start another line, a CR before the LF (or at the very end) is part of
    the ending."""
    lines = data.removeprefix(BOM).split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def is_blank(line: bytes) -> bool:
    return not line.strip()


@dataclass(frozen=True)
class Kind:
    """One kind of input: `data` and what parsing it must give."""

    id: str
    data: bytes  # complete lines, each ending in LF, unless own_file
    lines: int
    blank: int = 0
    rejected: tuple[tuple[int, str], ...] = ()  # (1-based line number, how the reason starts)
    own_file: bool = False  # a whole file by itself: its start or end matters, or it is binary

    @property
    def valid(self) -> int:
        return self.lines - self.blank - len(self.rejected)


def one_line(kind_id: str, data: bytes, reason: str | None) -> Kind:
    """A kind made of one line: valid when `reason` is None, else quarantined with that reason."""
    return Kind(kind_id, data + b"\n", lines=1, rejected=() if reason is None else ((1, reason),))


def rejected(kind_id: str, data: bytes, reason: str) -> Kind:
    return one_line(kind_id, data, reason)


def accepted(kind_id: str, data: bytes) -> Kind:
    return one_line(kind_id, data, None)


def _gzip_kind() -> Kind:
    # A gzipped JSONL uploaded under a .jsonl name: binary, split at whatever 0x0A bytes it holds.
    data = gzip.compress(b"".join(post(url=f"https://x.example/{n}") + b"\n" for n in range(200)), mtime=0)
    lines = file_lines(data)
    reasons = tuple((n, "invalid ") for n, text in enumerate(lines, 1) if not is_blank(text))  # UTF-8 or JSON
    blank = sum(map(is_blank, lines))
    return Kind("gzip_bytes_in_a_jsonl_file", data, len(lines), blank, reasons, own_file=True)


KINDS = [
    # Not JSON, or not all of it
    rejected("invalid_json_plain_text", b"not json at all", "invalid JSON"),
    rejected("truncated_json", BAD, "invalid JSON"),
    rejected("truncated_inside_a_string", b'{"company": "Acme", "title": "Senior Da', "invalid JSON"),
    rejected("trailing_comma", b'{"company": "Acme", "title": "CFO",}', "invalid JSON"),
    rejected("single_quoted_python_repr", b"{'company': 'Acme', 'title': 'CFO'}", "invalid JSON"),
    rejected("two_objects_on_one_line", GOOD + GOOD, "invalid JSON"),
    rejected("garbage_after_the_object", GOOD + b" x", "invalid JSON"),
    rejected("comment_after_the_object", GOOD + b" // scraped twice", "invalid JSON"),
    rejected("nul_bytes_only", b"\x00\x00", "invalid JSON"),
    rejected("nbsp_only_line_is_not_blank", "\u00a0\u00a0".encode(), "invalid JSON"),
    # Wrong types for title and company
    rejected("title_number", post(title=7), "field 'title' is not a string (got number)"),
    rejected("title_float", post(title=1.5), "field 'title' is not a string (got number)"),
    rejected("title_bool", post(title=True), "field 'title' is not a string (got boolean)"),
    rejected("title_null", post(title=None), "field 'title' is not a string (got null)"),
    rejected("title_array", post(title=["CFO"]), "field 'title' is not a string (got array)"),
    rejected("title_object", post(title={"en": "CFO"}), "field 'title' is not a string (got object)"),
    rejected("company_number", post(company=42), "field 'company' is not a string (got number)"),
    rejected("company_bool", post(company=False), "field 'company' is not a string (got boolean)"),
    rejected("company_null", post(company=None), "field 'company' is not a string (got null)"),
    rejected("company_array", post(company=["Acme"]), "field 'company' is not a string (got array)"),
    rejected(
        "company_object", post(company={"name": "Acme"}), "field 'company' is not a string (got object)"
    ),
    # Missing or empty fields
    rejected("missing_title", post(title=...), "missing field 'title'"),
    rejected("missing_company", post(company=...), "missing field 'company'"),
    rejected("missing_both_reports_title_first", post(title=..., company=...), "missing field 'title'"),
    rejected("empty_object", b"{}", "missing field 'title'"),
    rejected("title_key_in_other_case", post(title=..., Title="CFO"), "missing field 'title'"),
    rejected(
        "null_title_and_company", post(title=None, company=None), "field 'title' is not a string (got null)"
    ),
    rejected("empty_title", post(title=""), "field 'title' is empty"),
    rejected("whitespace_only_title", post(title=" \t  "), "field 'title' is empty"),
    rejected("nbsp_and_ideographic_space_title", post(title="\u00a0\u3000\u2003"), "field 'title' is empty"),
    accepted("empty_company_is_valid", post(company="")),
    accepted("whitespace_only_company_is_valid", post(company="   ")),
    # Encodings
    rejected("non_utf8_byte", b'{"company": "Acme", "title": "Clerk \xff"}', "invalid UTF-8"),
    rejected("latin1_text", b'{"company": "Caf\xe9 Roma", "title": "Barista"}', "invalid UTF-8"),
    rejected("overlong_utf8", b'{"company": "Acme", "title": "\xc0\xaf"}', "invalid UTF-8"),
    rejected("utf8_encoded_surrogate", b'{"company": "Acme", "title": "\xed\xa0\x80"}', "invalid UTF-8"),
    rejected("utf16_line", '{"company": "Acme", "title": "CFO"}'.encode("utf-16"), "invalid UTF-8"),
    rejected("lone_surrogate_escape", b'{"company": "Acme", "title": "\\ud800"}', "invalid JSON"),
    accepted("surrogate_pair_escape", b'{"company": "Acme", "title": "Chief Fun Officer \\ud83d\\ude00"}'),
    Kind("bom_at_file_start", BOM + GOOD + b"\n" + GOOD + b"\n", lines=2, own_file=True),
    Kind("bom_only_file", BOM, lines=0, own_file=True),
    # Only the file's first BOM is dropped; one at a later line start (files concatenated) is quarantined.
    Kind(
        "bom_at_a_line_start_mid_file",
        GOOD + b"\n" + BOM + GOOD + b"\n",
        lines=2,
        rejected=((2, "invalid JSON: UTF-8 byte order mark"),),
    ),
    # Line endings
    Kind(
        "crlf_line_endings",
        GOOD + b"\r\n" + BAD + b"\r\n\r\n" + GOOD + b"\r\n",
        lines=4,
        blank=1,
        rejected=((2, "invalid JSON"),),
    ),
    accepted("lone_cr_between_tokens", b'{"company": "Acme",\r"title": "CFO"}'),
    rejected("lone_cr_as_line_ending_joins_two_postings", GOOD + b"\r" + GOOD + b"\r", "invalid JSON"),
    rejected("raw_cr_inside_a_string", b'{"company": "Acme", "title": "C\rFO"}', "invalid JSON"),
    Kind("lone_cr_file", b"\r", lines=1, blank=1, own_file=True),
    Kind("no_final_newline", GOOD + b"\n" + GOOD, lines=2, own_file=True),
    Kind(
        "no_final_newline_after_a_bad_line",
        GOOD + b"\n" + BAD,
        lines=2,
        rejected=((2, "invalid JSON"),),
        own_file=True,
    ),
    Kind("empty_file", b"", lines=0, own_file=True),
    Kind("only_blank_lines", b"\n\n   \n\t\r\n", lines=4, blank=4, own_file=True),
    Kind(
        "blank_lines_between_postings",
        b"\n" + GOOD + b"\n \n" + BAD + b"\n\n",
        lines=5,
        blank=3,
        rejected=((4, "invalid JSON"),),
    ),
    accepted("whitespace_around_the_object", b"  \t" + GOOD + b" \t "),
    # A form feed is ASCII whitespace to bytes.strip, so such a line counts as blank.
    Kind("form_feed_line_is_blank", b"\x0c\x0b\n", lines=1, blank=1),
    # Size
    accepted("line_over_1mb_valid", post(description="x" * (MB + 1000))),
    rejected("line_over_1mb_invalid", post(description="x" * (MB + 1000))[:-2], "invalid JSON"),
    # Not an object
    rejected("array", b'["Acme", "CFO"]', "not a JSON object (got array)"),
    rejected("empty_array", b"[]", "not a JSON object (got array)"),
    rejected("number", b"42", "not a JSON object (got number)"),
    rejected("string", b'"Acme Corp, CFO"', "not a JSON object (got string)"),
    rejected("true", b"true", "not a JSON object (got boolean)"),
    rejected("null", b"null", "not a JSON object (got null)"),
    # Duplicate keys: the last wins, as orjson reads them (see the tests below)
    accepted("duplicate_title_last_one_valid", b'{"company": "Acme", "title": 7, "title": "CFO"}'),
    rejected(
        "duplicate_title_last_one_null",
        b'{"company": "Acme", "title": "CFO", "title": null}',
        "field 'title' is not a string (got null)",
    ),
    # Numbers JSON does not have, or a double cannot hold
    rejected("nan_literal", b'{"company": "Acme", "title": "CFO", "n": NaN}', "invalid JSON"),
    rejected("infinity_literal", b'{"company": "Acme", "title": "CFO", "n": Infinity}', "invalid JSON"),
    rejected(
        "negative_infinity_literal", b'{"company": "Acme", "title": "CFO", "n": -Infinity}', "invalid JSON"
    ),
    rejected("number_beyond_a_double", b'{"company": "Acme", "title": "CFO", "n": 1e400}', "invalid JSON"),
    # orjson reads it as a float; the output keeps the original digits.
    accepted("integer_beyond_64_bits", b'{"company": "Acme", "title": "CFO", "n": 123456789012345678901234}'),
    # Nesting: orjson stops at 1,024 levels
    rejected(
        "deep_nesting_2000_levels",
        post()[:-1] + b',"x":' + b"[" * 2000 + b"]" * 2000 + b"}",
        "invalid JSON: depth limit exceeded",
    ),
    rejected(
        "deep_top_level_array_2000_levels", b"[" * 2000 + b"]" * 2000, "invalid JSON: depth limit exceeded"
    ),
    accepted("nesting_500_levels", post()[:-1] + b',"x":' + b"[" * 500 + b"]" * 500 + b"}"),
    # Control characters: raw ones are invalid JSON inside a string, escaped ones are fine
    rejected("raw_nul_in_a_string", b'{"company": "Acme", "title": "C\x00FO"}', "invalid JSON"),
    rejected("raw_tab_in_a_string", b'{"company": "Acme", "title": "C\tFO"}', "invalid JSON"),
    accepted("escaped_nul_in_a_string", b'{"company": "Acme", "title": "C\\u0000FO"}'),
    accepted("raw_del_in_a_string", b'{"company": "Acme", "title": "C\x7fFO"}'),
    # Unicode
    accepted("line_and_paragraph_separators_in_a_string", post(title="Chief\u2028Financial\u2029Officer")),
    accepted("zero_width_space_title", post(title="\u200b")),  # U+200B is not whitespace, so not empty
    accepted("escaped_title_key", b'{"company": "Acme", "t\\u0069tle": "CFO"}'),
    # Valid objects with more in them
    accepted(
        "extra_fields_and_nested_values",
        post(tags=["remote", {"k": [1, 2.5, None]}], salary={"min": 1, "max": None}, remote=True, n=-0.0),
    ),
    accepted("existing_seniority_field", post(seniority="high")),
    _gzip_kind(),
]
IDS = [kind.id for kind in KINDS]
WITH_VALID = [kind for kind in KINDS if kind.valid]


def valid_input_lines(kind: Kind) -> list[bytes]:
    """The input lines of a kind that must come out valid, in order."""
    rejected_numbers = {number for number, _ in kind.rejected}
    lines = enumerate(file_lines(kind.data), 1)
    return [text for n, text in lines if not is_blank(text) and n not in rejected_numbers]


def test_the_table_covers_at_least_25_kinds_with_distinct_ids():
    assert len(KINDS) >= 25
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_every_non_blank_line_ends_valid_or_quarantined_with_a_reason(kind):
    parsed = parse_postings(kind.data)

    lines = file_lines(kind.data)
    assert (parsed.lines, parsed.blank) == (kind.lines, kind.blank) == (len(lines), sum(map(is_blank, lines)))
    records = [orjson.loads(record) for record in parsed.quarantine]
    assert all(b"\n" not in record for record in parsed.quarantine)  # one JSON line per rejected line
    for record in records:
        assert sorted(record) == ["error", "line", "raw"]
        assert type(record["line"]) is int and record["error"]
        assert record["raw"] == lines[record["line"] - 1].decode("utf-8", errors="replace")
    assert len(records) == len(kind.rejected)
    pairs = zip(records, kind.rejected, strict=True)
    assert [(r["line"], r["error"][: len(reason)]) for r, (_, reason) in pairs] == list(kind.rejected)
    assert parsed.valid == kind.valid
    assert parsed.valid + parsed.quarantined == parsed.lines - parsed.blank


@pytest.mark.parametrize("kind", WITH_VALID, ids=[kind.id for kind in WITH_VALID])
def test_spliced_valid_lines_parse_to_the_original_object_plus_seniority(kind):
    parsed = parse_postings(kind.data)
    originals = valid_input_lines(kind)
    levels = (np.arange(len(originals)) % 7 + 1).astype(np.uint8)

    output = splice_seniority(parsed.valid_lines, levels)

    assert output.endswith(b"\n")
    augmented = output[:-1].split(b"\n")
    assert len(augmented) == len(parsed.valid_lines) == len(originals)
    for original, valid_line, out, level in zip(
        originals, parsed.valid_lines, augmented, levels.tolist(), strict=True
    ):
        assert valid_line == original.rstrip()  # original bytes, trailing whitespace dropped
        assert out.startswith(valid_line[:-1])
        assert orjson.loads(out) == {**orjson.loads(original), "seniority": level}
    assert parsed.titles == [orjson.loads(original)["title"] for original in originals]
    assert parsed.companies == [orjson.loads(original)["company"] for original in originals]


def test_duplicate_keys_the_last_one_wins_and_the_output_keeps_both():
    data = b'{"company": "Acme", "title": 7, "title": "CFO"}\n'
    parsed = parse_postings(data)
    assert parsed.titles == ["CFO"]  # the model is asked about the title orjson (last wins) reads
    output = splice_seniority(parsed.valid_lines, np.array([7], dtype=np.uint8))
    assert output == b'{"company": "Acme", "title": 7, "title": "CFO","seniority":7}\n'  # both titles kept
    assert orjson.loads(output) == {"company": "Acme", "title": "CFO", "seniority": 7}


def test_an_existing_seniority_field_is_kept_and_the_models_comes_after_it():
    # The contract's "every original field with its original value" and "plus seniority" collide here. The
    # original bytes are kept, so the output holds two "seniority" keys; last-wins readers (orjson, json,
    # jq, JavaScript) see the model's level, the scraper's value is still in the bytes.
    data = b'{"company": "Acme", "title": "CFO", "seniority": "high"}\n'
    parsed = parse_postings(data)
    output = splice_seniority(parsed.valid_lines, np.array([7], dtype=np.uint8))
    assert output == b'{"company": "Acme", "title": "CFO", "seniority": "high","seniority":7}\n'
    assert output.count(b'"seniority"') == 2
    assert orjson.loads(output)["seniority"] == 7


def test_a_bom_at_a_later_line_start_is_quarantined_with_the_whole_line():
    parsed = parse_postings(BOM + GOOD + b"\n" + BOM + GOOD + b"\n")
    assert parsed.valid_lines == [GOOD]  # the file's first BOM is dropped
    record = orjson.loads(parsed.quarantine[0])
    assert record["line"] == 2 and record["raw"] == "\ufeff" + GOOD.decode()


def test_line_numbers_count_blank_lines_and_crlf_endings():
    data = b"\r\n" + GOOD + b"\r\n\r\n" + BAD + b"\r\n" + b"[1]"
    records = [orjson.loads(record) for record in parse_postings(data).quarantine]
    assert [(r["line"], r["raw"]) for r in records] == [(4, BAD.decode()), (5, "[1]")]
