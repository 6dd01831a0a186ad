"""The demo's raw job-posting files, like the scraper's: pairs repeat, spellings vary, some lines are bad.

Deterministic: the same date, count and seed give the same bytes. The vocabulary, spelling variants and bad
lines are the ones every generator shares (devstack/synthetic.py).

    python -m enrichment_platform.devstack.sample_data --dates 2024-07-15 2024-07-16 --files-per-date 3 \\
        --lines 500 [--upload]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import unicodedata
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

from enrichment_platform.devstack import synthetic
from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.settings import setting

SECONDS_PER_DAY = 86_400
UNIVERSE_SEED = 20240717  # fixed, so every file draws from the same pairs
N_COMPANIES = 320
PAIR_UNIVERSE_SIZE = 40_000
PAIR_ZIPF_EXPONENT = 0.9
VARIANT_RATE = 0.08  # share of postings whose company or title is spelled unusually
EMPTY_COMPANY_RATE = 0.004
EXTRA_FIELD_RATE = 0.03


def companies() -> tuple[str, ...]:
    """The company names the demo's postings are drawn from, the same in every run."""
    return synthetic.company_names(N_COMPANIES)


@lru_cache(maxsize=1)
def posting_pairs() -> tuple[tuple[str, str, int], ...]:
    """The (company, title, seniority) pairs postings are drawn from, most popular first."""
    rng = random.Random(UNIVERSE_SEED + 1)
    company_names = companies()
    company_weights = list(
        itertools.accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(company_names)))
    )
    titles = list(synthetic.job_titles())
    rng.shuffle(titles)
    # Title popularity: Zipf over a shuffled order, scaled by how often each level is posted.
    level_weights = synthetic.level_weights()
    title_weights = list(
        itertools.accumulate(
            level_weights[level] / (rank + 1) ** 0.6 for rank, (_, level) in enumerate(titles)
        )
    )
    pairs: dict[tuple[str, str], int] = {}
    while len(pairs) < PAIR_UNIVERSE_SIZE:
        company = rng.choices(company_names, cum_weights=company_weights)[0]
        title, level = rng.choices(titles, cum_weights=title_weights)[0]
        pairs.setdefault((company, title), level)
    # Draw order is the popularity rank: popular companies and titles tend to be drawn first.
    return tuple((company, title, level) for (company, title), level in pairs.items())


@lru_cache(maxsize=1)
def _pair_cum_weights() -> tuple[float, ...]:
    # Zipf over pair rank: a few pairs are everywhere, most appear rarely.
    return tuple(
        itertools.accumulate(1.0 / (rank + 1) ** PAIR_ZIPF_EXPONENT for rank in range(len(posting_pairs())))
    )


def _domain(company: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode().lower()
    words = [
        w
        for w in "".join(c if c.isalnum() else " " for c in ascii_name).split()
        if w not in ("inc", "llc", "co")
    ]
    return ("".join(words) or "example") + ".com"


# --- lines and files ------------------------------------------------------------------------------


def _posting(rng: random.Random, timestamp: int) -> dict:
    pair_index = bisect_left(_pair_cum_weights(), rng.random() * _pair_cum_weights()[-1])
    company, title, _ = posting_pairs()[min(pair_index, len(posting_pairs()) - 1)]
    domain = _domain(company)
    if rng.random() < EMPTY_COMPANY_RATE:
        company = ""  # valid per the contract: company may be empty
    if rng.random() < VARIANT_RATE:
        if rng.random() < 0.75:
            title = synthetic.spelling_variant(title, rng)
        if company and rng.random() < 0.5:
            company = synthetic.spelling_variant(company, rng)
    posting = {
        "url": f"https://www.{domain}/job/{rng.randrange(10**9, 10**10)}/",
        "company": company,
        "title": title,
        "location": rng.choice(synthetic.locations()),
        "scraped_on": timestamp - rng.randrange(0, 3600),
    }
    if rng.random() < EXTRA_FIELD_RATE:
        # Fields we do not know must pass through untouched.
        extra = rng.choice(
            (
                ("salary", f"${rng.randrange(40, 250)},000 - ${rng.randrange(250, 400)},000"),
                ("employment_type", rng.choice(("Full-time", "Part-time", "Contract"))),
                ("remote", rng.random() < 0.5),
                ("location", None),
                ("tags", ["python", "sql"]),
            )
        )
        posting[extra[0]] = extra[1]
    return posting


def generate_file(timestamp: int, n_lines: int, seed: int, bad_line_rate: float = 0.01) -> bytes:
    """One raw JSONL file of `n_lines` lines (blank and bad ones included); same arguments, same bytes."""
    if not 0 <= bad_line_rate < 1:
        raise ValueError(f"bad_line_rate must be in [0, 1), got {bad_line_rate}")
    rng = random.Random(f"{seed}:{timestamp}")
    bad_kinds = list(synthetic.BAD_LINE_KINDS)
    rng.shuffle(bad_kinds)
    n_bad = 0
    lines: list[bytes] = []
    for _ in range(n_lines):
        draw = rng.random()
        if draw < bad_line_rate:
            # Rotating through the kinds puts every kind in any file with enough bad lines.
            kind = bad_kinds[n_bad % len(bad_kinds)]
            lines.append(synthetic.bad_line(kind, _posting(rng, timestamp), rng))
            n_bad += 1
        elif draw < bad_line_rate * 1.5:
            lines.append(rng.choice((b"", b"", b"  ")))
        else:
            lines.append(synthetic.encode_posting(_posting(rng, timestamp)))
    return b"".join(line + b"\n" for line in lines)


def _as_date(date: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(date) if isinstance(date, str) else date


def day_timestamps(date: dt.date | str, n_files: int, seed: int) -> list[int]:
    """`n_files` distinct increasing unix timestamps spread over the UTC `date`, about evenly spaced."""
    day = _as_date(date)
    if not 0 <= n_files <= SECONDS_PER_DAY // 2:
        raise ValueError(f"n_files must be between 0 and {SECONDS_PER_DAY // 2}, got {n_files}")
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    rng = random.Random(f"{seed}:{day.isoformat()}")
    spacing = SECONDS_PER_DAY / max(n_files, 1)
    offsets: list[int] = []
    for i in range(n_files):
        offset = int(i * spacing + rng.uniform(0, 0.8 * spacing))
        offsets.append(max(offset, offsets[-1] + 1) if offsets else offset)
    return [start + offset for offset in offsets]


def generate_day(
    date: dt.date | str, n_files: int, lines_per_file: int, seed: int, bad_line_rate: float = 0.01
) -> list[tuple[str, bytes]]:
    """(`<unix ts>.jsonl`, content) for `n_files` files whose timestamps fall inside the UTC `date`."""
    return [
        (f"{timestamp}.jsonl", generate_file(timestamp, lines_per_file, seed, bad_line_rate))
        for timestamp in day_timestamps(date, n_files, seed)
    ]


def upload_sample_data(
    endpoint_url: str | None,
    raw_uri: str,
    dates: list[dt.date | str],
    files_per_date: int,
    lines_per_file: int,
    seed: int = 0,
    bad_line_rate: float = 0.01,
) -> list[str]:
    """Generate files for each date and put them under `raw_uri` (bucket created if missing); returns URIs."""
    import boto3

    from enrichment_platform.devstack.s3_server import ensure_bucket

    raw = S3Location.parse(raw_uri)
    bucket, prefix = raw.bucket, raw.prefix
    ensure_bucket(endpoint_url, bucket)
    client = boto3.client("s3", endpoint_url=endpoint_url)
    uris = []
    for date in dates:
        for name, content in generate_day(date, files_per_date, lines_per_file, seed, bad_line_rate):
            client.put_object(Bucket=bucket, Key=prefix + name, Body=content)
            uris.append(f"s3://{bucket}/{prefix}{name}")
    return uris


def main(argv: list[str] | None = None) -> None:
    """Generate sample files into a directory, or upload them to RAW_POSTINGS_URI with --upload."""
    parser = argparse.ArgumentParser(
        prog="python -m enrichment_platform.devstack.sample_data", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--dates", nargs="+", required=True, type=dt.date.fromisoformat, help="UTC dates, YYYY-MM-DD"
    )
    parser.add_argument("--files-per-date", type=int, default=3)
    parser.add_argument("--lines", type=int, default=500, help="lines per file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bad-line-rate", type=float, default=0.01)
    parser.add_argument(
        "--upload",
        action="store_true",
        help="put the files under RAW_POSTINGS_URI (endpoint from AWS_ENDPOINT_URL)",
    )
    parser.add_argument(
        "--out-dir", type=Path, default=Path(".local/sample-data"), help="where files go without --upload"
    )
    args = parser.parse_args(argv)

    if args.upload:
        raw_uri = setting("RAW_POSTINGS_URI")
        uris = upload_sample_data(
            None, raw_uri, args.dates, args.files_per_date, args.lines, args.seed, args.bad_line_rate
        )
        print(f"uploaded {len(uris)} files to {raw_uri}")
        return
    args.out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for date in args.dates:
        files = generate_day(date, args.files_per_date, args.lines, args.seed, args.bad_line_rate)
        for name, content in files:
            (args.out_dir / name).write_bytes(content)
            count += 1
    print(f"wrote {count} files to {args.out_dir}")


if __name__ == "__main__":
    main()
