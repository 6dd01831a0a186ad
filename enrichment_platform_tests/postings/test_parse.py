import orjson
import pytest

from enrichment_platform.postings.parse import parse_postings, split_lines

GOOD = b'{"url": "https://x/1", "company": "Acme", "title": "CFO", "location": "NY", "scraped_on": 1}'


def quarantine_errors(data: bytes) -> list[str]:
    return [orjson.loads(record)["error"] for record in parse_postings(data).quarantine]


def test_valid_lines_keep_their_original_bytes_and_order():
    other = b'{"title":"Intern","company":""}'
    parsed = parse_postings(GOOD + b"\n" + other + b"\n")
    assert parsed.valid_lines == [GOOD, other]
    assert parsed.companies == ["Acme", ""]
    assert parsed.titles == ["CFO", "Intern"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"company": "Acme", "title": "CFO"', "invalid JSON"),
        (b"not json", "invalid JSON"),
        (b'["company", "title"]', "not a JSON object (got array)"),
        (b"42", "not a JSON object (got number)"),
        (b'{"company": "Acme"}', "missing field 'title'"),
        (b'{"company": "Acme", "title": null}', "field 'title' is not a string (got null)"),
        (b'{"company": "Acme", "title": 7}', "field 'title' is not a string (got number)"),
        (b'{"company": "Acme", "title": "   "}', "field 'title' is empty"),
        (b'{"title": "CFO"}', "missing field 'company'"),
        (b'{"company": ["Acme"], "title": "CFO"}', "field 'company' is not a string (got array)"),
        (b'{"company": "Acme", "title": "C\xffO"}', "invalid UTF-8"),
        (b'{"company": "Acme", "title": "CFO", "n": NaN}', "invalid JSON"),
    ],
)
def test_bad_lines_are_quarantined_with_a_reason(line, reason):
    errors = quarantine_errors(line + b"\n")
    assert len(errors) == 1
    assert errors[0].startswith(reason)


def test_quarantine_record_has_line_number_and_raw_text_with_invalid_utf8_replaced():
    parsed = parse_postings(GOOD + b"\n\n" + b'{"title": "\xff"}' + b"\n")
    record = orjson.loads(parsed.quarantine[0])
    assert record == {"line": 3, "error": "invalid UTF-8", "raw": '{"title": "\ufffd"}'}


def test_blank_lines_are_counted_not_quarantined():
    parsed = parse_postings(b"\n   \n" + GOOD + b"\r\n\t\n")
    assert (parsed.lines, parsed.blank, parsed.valid, parsed.quarantined) == (4, 3, 1, 0)


def test_conservation_holds_for_a_mixed_file():
    data = b"\n".join([GOOD, b"", b"{bad", b'{"title": ""}', GOOD, b"   "])
    parsed = parse_postings(data)
    assert parsed.valid + parsed.quarantined == parsed.lines - parsed.blank


def test_bom_crlf_and_missing_final_newline():
    assert split_lines(b"\xef\xbb\xbfa\r\nb") == [b"a", b"b"]
    assert split_lines(b"") == []


def test_trailing_whitespace_after_the_object_is_dropped_so_the_line_ends_in_a_brace():
    assert parse_postings(GOOD + b"  \t\n").valid_lines == [GOOD]
