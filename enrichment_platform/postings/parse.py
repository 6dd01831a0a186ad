"""Validation of raw JSONL bytes: every non-blank line is either valid or quarantined with a reason."""

from dataclasses import dataclass, field

import orjson

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class ParsedFile:
    """The outcome of validating one raw file, in input order."""

    valid_lines: list[bytes] = field(default_factory=list)  # original bytes, line ending removed
    companies: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    quarantine: list[bytes] = field(default_factory=list)  # one JSON record per rejected line
    lines: int = 0
    blank: int = 0
    complete: int = 0  # valid postings whose url, company, title, location and scraped_on are all non-null
    duplicate_urls: int = 0  # valid postings whose non-null url equals an earlier one in this file
    urls: list = field(default_factory=list)  # of the valid postings, for repeats counted over several parts

    @property
    def valid(self) -> int:
        return len(self.valid_lines)

    @property
    def quarantined(self) -> int:
        return len(self.quarantine)


def split_lines(data: bytes, file_start: bool = True) -> list[bytes]:
    """Lines of a file (or of a part of it, `file_start` False after the first) without their endings; a
    final newline does not start another line."""
    if file_start and data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if b"\r" not in data:
        return lines
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def repeated_values(values: list) -> int:
    """How many non-null values equal an earlier one in the list (a value seen 3 times counts 2)."""
    try:
        distinct = set(values)
    except TypeError:  # an unhashable value (a JSON array or object): compare the hashable ones only
        values = [value for value in values if type(value) not in (list, dict)]
        distinct = set(values)
    nulls = values.count(None)
    return len(values) - len(distinct) - (nulls - 1 if nulls else 0)


def posting_fields(line: bytes) -> tuple[str, str] | str:
    """(company, title) of a valid posting line, else the reason it is invalid."""
    try:
        posting = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return "invalid UTF-8"
        return f"invalid JSON: {error}"
    if type(posting) is not dict:
        return f"not a JSON object (got {_type_name(posting)})"
    title = posting.get("title")
    company = posting.get("company")
    if type(title) is not str:
        return (
            "missing field 'title'"
            if title is None and "title" not in posting
            else (f"field 'title' is not a string (got {_type_name(title)})")
        )
    if not title.strip():
        return "field 'title' is empty"
    if type(company) is not str:
        return (
            "missing field 'company'"
            if "company" not in posting
            else (f"field 'company' is not a string (got {_type_name(company)})")
        )
    return company, title


def quarantine_record(line_number: int, error: str, raw: bytes) -> bytes:
    """The quarantine JSON line for a rejected input line (invalid UTF-8 replaced)."""
    return orjson.dumps({"line": line_number, "error": error, "raw": raw.decode("utf-8", errors="replace")})


def quarantine_jsonl(records: list[bytes]) -> bytes:
    """A file's quarantine object: its records, one per line."""
    return b"".join([record + b"\n" for record in records])


def parse_postings(data: bytes, first_line: int = 1, file_start: bool = True) -> ParsedFile:
    """Validate every line of a raw file; blank lines are counted and skipped. Also counts, for the
    data-quality checks, the complete postings and the repeated urls of the file. Quarantined lines are
    numbered from `first_line` (a pushed request's parts, or a big file's chunks, count on from the parts
    before them); `file_start` False: `data` does not begin the file (a byte order mark there is data)."""
    parsed = ParsedFile()
    lines = split_lines(data, file_start)
    parsed.lines = len(lines)
    valid_lines, companies, titles = parsed.valid_lines, parsed.companies, parsed.titles
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    urls: list = []  # of the valid postings; repeats are counted once at the end, in C
    complete = 0
    for number, line in enumerate(lines, start=first_line):
        # Fast path for the common case: a well-formed posting (the checks are those of posting_fields).
        try:
            posting = loads(line)
        except decode_error:
            posting = None
        if type(posting) is dict:
            title, company = posting.get("title"), posting.get("company")
            if type(title) is str and type(company) is str and title and not title.isspace():
                valid_lines.append(line if line.endswith(b"}") else line.rstrip())
                companies.append(company)
                titles.append(title)
                # Read from the dict already parsed: the quality facts cost no second parse.
                url = posting.get("url")
                urls.append(url)
                if (
                    url is not None
                    and posting.get("location") is not None
                    and posting.get("scraped_on") is not None
                ):
                    complete += 1
                continue
        if not line.strip():
            parsed.blank += 1
            continue
        outcome = posting_fields(line)
        if type(outcome) is str:
            parsed.quarantine.append(quarantine_record(number, outcome, line))
        else:  # posting_fields and the fast path disagree: trust the full check
            valid_lines.append(line.rstrip())
            companies.append(outcome[0])
            titles.append(outcome[1])
            url = posting.get("url")  # a valid line was parsed to a dict by the fast path too
            urls.append(url)
            if (
                url is not None
                and posting.get("location") is not None
                and posting.get("scraped_on") is not None
            ):
                complete += 1
    parsed.complete, parsed.duplicate_urls, parsed.urls = complete, repeated_values(urls), urls
    return parsed
