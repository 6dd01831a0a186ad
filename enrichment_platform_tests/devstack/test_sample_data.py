"""The sample generator is deterministic and produces what the contract says the scraper drops, from the
vocabulary the benchmark's generator shares."""

import datetime as dt
import json
import re
import unicodedata
from collections import Counter, defaultdict

import boto3
import pytest

from enrichment_platform.bench import data as bench_data
from enrichment_platform.devstack import sample_data, synthetic

TIMESTAMP = 1721183934  # 2024-07-17T02:38:54Z
URL = re.compile(r"^https://www\.[a-z0-9]+\.com/job/\d{10}/$")


def _normalize(text: str) -> str:
    # The contract's normalization, restated here so the generator is checked against the contract itself.
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _classify(line: bytes) -> str:
    """'blank', 'valid' or why a line is invalid, per the contract's definition of a valid line."""
    if not line.strip():
        return "blank"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    try:
        posting = json.loads(text)
    except json.JSONDecodeError:
        return "invalid_json"
    if isinstance(posting, list):
        return "json_array"
    if not isinstance(posting, dict):
        return "not_object"
    if "title" not in posting:
        return "missing_title"
    if not isinstance(posting["title"], str):
        return "title_not_string"
    if not posting["title"].strip():
        return "empty_title"
    if not isinstance(posting.get("company"), str):
        return "company_not_string"
    return "valid"


def _lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def _valid_postings(data: bytes) -> list[dict]:
    return [json.loads(line) for line in _lines(data) if _classify(line) == "valid"]


@pytest.fixture(scope="module")
def day_files():
    return sample_data.generate_day("2024-07-17", n_files=6, lines_per_file=2000, seed=7)


def test_same_seed_gives_same_bytes():
    first = sample_data.generate_file(TIMESTAMP, 500, seed=1)
    assert sample_data.generate_file(TIMESTAMP, 500, seed=1) == first
    assert sample_data.generate_day("2024-07-15", 3, 100, seed=1) == sample_data.generate_day(
        dt.date(2024, 7, 15), 3, 100, seed=1
    )


def test_different_seed_or_timestamp_gives_different_bytes():
    base = sample_data.generate_file(TIMESTAMP, 500, seed=1)
    assert sample_data.generate_file(TIMESTAMP, 500, seed=2) != base
    assert sample_data.generate_file(TIMESTAMP + 60, 500, seed=1) != base


def test_file_has_the_requested_number_of_lines():
    assert len(_lines(sample_data.generate_file(TIMESTAMP, 1234, seed=0))) == 1234


def test_day_file_names_are_increasing_timestamps_inside_the_utc_date(day_files):
    names = [name for name, _ in day_files]
    assert len(names) == 6
    assert all(re.fullmatch(r"\d+\.jsonl", name) for name in names)
    timestamps = [int(name.removesuffix(".jsonl")) for name in names]
    assert timestamps == sorted(set(timestamps))
    dates = {dt.datetime.fromtimestamp(ts, dt.UTC).date() for ts in timestamps}
    assert dates == {dt.date(2024, 7, 17)}


def test_a_full_day_of_files_stays_inside_the_date():
    timestamps = sample_data.day_timestamps("2024-07-17", 1440, seed=3)
    start = int(dt.datetime(2024, 7, 17, tzinfo=dt.UTC).timestamp())
    assert len(set(timestamps)) == 1440
    assert start <= min(timestamps) and max(timestamps) < start + 86_400


def test_valid_lines_look_like_the_spec_example(day_files):
    name, data = day_files[0]
    timestamp = int(name.removesuffix(".jsonl"))
    postings = _valid_postings(data)
    assert len(postings) > 1900
    for posting in postings:
        assert list(posting)[:5] == ["url", "company", "title", "location", "scraped_on"]
        assert URL.match(posting["url"]), posting["url"]
        assert isinstance(posting["scraped_on"], int)
        assert timestamp - 3600 <= posting["scraped_on"] <= timestamp
    average_bytes = len(data) / len(_lines(data))
    assert 120 < average_bytes < 260  # the scraper's files average ~190 bytes per line


def test_every_bad_line_kind_and_blank_lines_appear(day_files):
    kinds = Counter(_classify(line) for _, data in day_files for line in _lines(data))
    for kind in (*synthetic.BAD_LINE_KINDS, "blank"):
        if kind == "truncated_json":
            kind = "invalid_json"  # a cut-off line does not parse either
        assert kinds[kind] > 0, f"no {kind} line in {dict(kinds)}"
    lines = sum(kinds.values())
    bad = lines - kinds["valid"] - kinds["blank"]
    assert 0.005 * lines < bad < 0.02 * lines


def test_truncated_lines_are_prefixes_of_json_objects():
    data = sample_data.generate_file(TIMESTAMP, 3000, seed=0, bad_line_rate=0.05)
    invalid = [line for line in _lines(data) if _classify(line) == "invalid_json"]
    truncated = [line for line in invalid if not line.endswith(b"}")]
    assert truncated and all(line.startswith(b"{") for line in truncated)


def test_zero_bad_line_rate_gives_only_valid_lines():
    data = sample_data.generate_file(TIMESTAMP, 2000, seed=0, bad_line_rate=0.0)
    assert {_classify(line) for line in _lines(data)} == {"valid"}


def test_spelling_variants_normalize_to_a_canonical_pair(day_files):
    canonical = {(_normalize(c), _normalize(t)) for c, t, _ in sample_data.posting_pairs()}
    canonical_companies = {_normalize(c) for c in sample_data.companies()} | {""}
    spellings = defaultdict(set)
    for _, data in day_files:
        for posting in _valid_postings(data):
            company, title = _normalize(posting["company"]), _normalize(posting["title"])
            assert company in canonical_companies
            if company:
                assert (company, title) in canonical, (posting["company"], posting["title"])
            spellings[(company, title)].add(posting["title"])
    assert any(len(titles) > 1 for titles in spellings.values())
    canonical_titles = {title for title, _ in synthetic.job_titles()}
    variants = {title for titles in spellings.values() for title in titles} - canonical_titles
    assert any("  " in title for title in variants)
    assert any(title.isupper() for title in variants)
    assert any(title.islower() for title in variants)
    assert any(any("\uff01" <= char <= "\uff5e" for char in title) for title in variants)  # fullwidth
    assert any(title != title.strip() for title in variants)


def test_pairs_repeat_within_and_across_files(day_files):
    pairs_per_file = [
        [(_normalize(p["company"]), _normalize(p["title"])) for p in _valid_postings(data)]
        for _, data in day_files
    ]
    first = pairs_per_file[0]
    assert len(set(first)) < 0.8 * len(first)
    assert len(set(first) & set(pairs_per_file[-1])) > 100


def test_titles_span_all_seven_seniority_levels():
    levels = Counter(level for _, level in synthetic.job_titles())
    assert set(levels) == set(range(1, 8))
    assert len(sample_data.companies()) >= 200
    titles = dict(synthetic.job_titles())
    # The scale's own conventions.
    assert titles["Head of Legal"] == 5 and titles["VP Network Engineering"] == 5
    assert titles["Director of Engineering"] == 6 and titles["CFO"] == 7


def test_cli_writes_files_for_each_date(tmp_path):
    sample_data.main(
        [
            "--dates",
            "2024-07-15",
            "2024-07-16",
            "--files-per-date",
            "2",
            "--lines",
            "50",
            "--out-dir",
            str(tmp_path),
        ]
    )
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(
        name
        for date in ("2024-07-15", "2024-07-16")
        for name, _ in sample_data.generate_day(date, 2, 50, seed=0)
    )


@pytest.mark.integration
def test_upload_puts_files_under_the_raw_prefix(s3_buckets):
    uris = sample_data.upload_sample_data(
        None, s3_buckets.raw_uri, ["2024-07-17"], files_per_date=2, lines_per_file=30
    )
    assert len(uris) == 2
    client = boto3.client("s3")
    for uri, (name, content) in zip(uris, sample_data.generate_day("2024-07-17", 2, 30, seed=0)):
        assert uri == s3_buckets.raw_uri + name
        key = uri.removeprefix(f"s3://{s3_buckets.bucket}/")
        assert client.get_object(Bucket=s3_buckets.bucket, Key=key)["Body"].read() == content


@pytest.mark.integration
def test_cli_upload_uses_raw_postings_uri(s3_buckets):
    sample_data.main(["--dates", "2024-07-17", "--files-per-date", "1", "--lines", "20", "--upload"])
    listed = boto3.client("s3").list_objects_v2(Bucket=s3_buckets.bucket, Prefix="job-postings-raw/")
    assert [item["Key"] for item in listed["Contents"]] == [
        f"job-postings-raw/{name}" for name, _ in sample_data.generate_day("2024-07-17", 1, 20, seed=0)
    ]


def test_benchmark_files_draw_from_the_same_vocabulary():
    universe = bench_data.Universe.build(size=2000, zipf_exponent=1.1, seed=7)
    data, ranks = bench_data.generate_file(universe, TIMESTAMP, 3000, seed=1, bad_rate=0.05)
    kinds = Counter(_classify(line) for line in _lines(data))
    assert kinds["valid"] == len(ranks)
    assert {kind for kind in kinds if kind != "valid"} <= {*synthetic.BAD_LINE_KINDS} - {"truncated_json"}
    titles = {title for title, _ in synthetic.job_titles()}
    companies = set(synthetic.company_names(len(universe.companies)))
    # Pairs the universe drew twice get a numbered title; the rest are the vocabulary's own.
    assert sum(title in titles for title in universe.titles) > 0.9 * len(universe.titles)
    postings = _valid_postings(data)
    for posting, rank in zip(postings, ranks):
        assert posting["company"] == universe.companies[rank] and posting["company"] in companies
        assert _normalize(posting["title"]) == _normalize(universe.titles[rank])
    assert {posting["location"] for posting in postings} <= set(synthetic.locations())
    assert any(posting["title"] != universe.titles[rank] for posting, rank in zip(postings, ranks))


def test_company_names_beyond_the_combinations_are_numbered_and_distinct():
    names = synthetic.company_names(5000)
    assert len(set(names)) == 5000
    assert names[:320] == sample_data.companies()
