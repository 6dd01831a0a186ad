"""Deterministic raw job-posting files like the scraper's: pairs repeat, spellings vary, some lines are bad.

    python -m enrichment_platform.devstack.sample_data --dates 2024-07-15 2024-07-16 --files-per-date 3 \\
        --lines 500 [--upload]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.settings import setting

SECONDS_PER_DAY = 86_400
UNIVERSE_SEED = 20240717  # fixed, so every file draws from the same companies and titles
PAIR_UNIVERSE_SIZE = 40_000
PAIR_ZIPF_EXPONENT = 0.9
VARIANT_RATE = 0.08  # share of postings whose company or title is spelled unusually
EMPTY_COMPANY_RATE = 0.004
EXTRA_FIELD_RATE = 0.03

BAD_LINE_KINDS = (
    "invalid_json",
    "truncated_json",
    "missing_title",
    "empty_title",
    "title_not_string",
    "json_array",
    "invalid_utf8",
    "company_not_string",
)

# --- the universe of companies and titles ---------------------------------------------------------

_COMPANY_BASES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Hooli",
    "Pied Piper",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Massive Dynamic",
    "Oscorp",
    "Dunder Mifflin",
    "Monarch",
    "Blue Harbor",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Wide World",
    "Woodgrove",
    "Lucerne",
    "Coho",
    "Fourth Coffee",
    "Trey Research",
    "Bluth",
    "Sterling Cooper",
    "Summit",
    "Evergreen",
    "Redwood",
    "Granite",
    "Silverline",
    "Brightpath",
    "Clearwater",
    "Ironclad",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Northstar",
    "Oakridge",
    "Pinnacle",
    "Quantum",
    "Riverbend",
    "Sunrise",
    "Trident",
    "Vertex",
    "Westfield",
    "Zenith",
    "Cascade",
    "Beacon",
    "Crescent",
    "Falcon",
    "Horizon",
    "Liberty",
    "Magnolia",
    "Orion",
    "Pioneer",
    "Sequoia",
    "Atlas",
    "Apex",
    "Bluebird",
    "Cobalt",
    "Delta Ridge",
    "Elmwood",
    "Foxglove",
    "Goldleaf",
    "Highland",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Mosaic",
    "Nimbus",
    "Obsidian",
    "Paragon",
    "Quarry",
    "Sable",
    "Tanager",
    "Upland",
    "Vantage",
    "Willow",
    "Yarrow",
    "Müller",
    "Société Lumière",
    "Ærø",
    "São Bento",
    "Østerberg",
    "Zürich Alpine",
)
_COMPANY_SUFFIXES = (
    "Corp",
    "Inc.",
    "LLC",
    "Group",
    "Holdings",
    "Technologies",
    "Labs",
    "Health",
    "Logistics",
    "Financial",
    "Partners",
    "Systems",
    "Analytics",
    "Energy",
    "Foods",
    "Retail",
    "Consulting",
    "Bank",
    "Insurance",
    "Manufacturing",
    "Media",
    "Software",
    "Biotech",
    "Hospitality",
    "& Co.",
    "Solutions",
    "",
)
_N_COMPANIES = 320

_LOCATIONS = (
    "New York, NY",
    "San Francisco, CA",
    "Austin, TX",
    "Seattle, WA",
    "Chicago, IL",
    "Boston, MA",
    "Los Angeles, CA",
    "Denver, CO",
    "Atlanta, GA",
    "Miami, FL",
    "Dallas, TX",
    "Houston, TX",
    "Phoenix, AZ",
    "Philadelphia, PA",
    "Washington, DC",
    "San Diego, CA",
    "Portland, OR",
    "Minneapolis, MN",
    "Detroit, MI",
    "Charlotte, NC",
    "Nashville, TN",
    "Salt Lake City, UT",
    "Raleigh, NC",
    "Columbus, OH",
    "Pittsburgh, PA",
    "Remote",
    "Remote, US",
    "Hybrid - New York, NY",
    "London, UK",
    "Toronto, ON",
    "Berlin, Germany",
    "São Paulo, Brazil",
    "Zürich, Switzerland",
    "Bengaluru, India",
)


@dataclass(frozen=True)
class _Family:
    role: str  # the individual contributor, "Data Engineer"
    area: str  # the function, "Data Engineering"
    chiefs: tuple[str, ...]  # level-7 titles of this function
    teams: tuple[str, ...] = ()
    entry: tuple[str, ...] = ()  # extra level-1 titles
    junior: tuple[str, ...] = ()  # extra level-2 titles


_FAMILIES = (
    _Family(
        "Data Engineer",
        "Data Engineering",
        ("Chief Data Officer", "CDO"),
        ("Data Flow", "Platform", "Streaming", "Analytics"),
    ),
    _Family(
        "Software Engineer",
        "Engineering",
        ("CTO", "Chief Technology Officer"),
        ("Backend Systems", "Payments", "Mobile", "Search"),
        ("Software Engineer Trainee",),
    ),
    _Family("Software QA Engineer", "Quality Assurance", ("CTO",), ("Automation",)),
    _Family("Data Scientist", "Data Science", ("Chief Data Officer",), ("Machine Learning", "Pricing")),
    _Family(
        "Accountant",
        "Accounting",
        ("CFO", "Chief Financial Officer"),
        ("Payables", "Close"),
        ("Accounting Intern", "Accounting Clerk"),
        ("Accounts Receivable Bookkeeper", "Staff Accountant"),
    ),
    _Family("Tax Accountant", "Tax", ("CFO",), ("International Tax",)),
    _Family("Financial Analyst", "Finance", ("CFO", "Chief Financial Officer"), ("FP&A", "Treasury")),
    _Family(
        "Attorney",
        "Legal",
        ("Chief Legal Officer", "General Counsel"),
        ("Litigation", "Corporate"),
        ("Paralegal", "Legal Assistant"),
        ("Legal Adviser",),
    ),
    _Family(
        "Registered Nurse",
        "Nursing",
        ("Chief Nursing Officer",),
        ("ICU", "Pediatrics", "Night Shift"),
        ("Nursing Assistant", "Student Nurse"),
    ),
    _Family("Electrical Engineer", "Electrical Engineering", ("CTO",), ("Power Systems",)),
    _Family("Mechanical Engineer", "Mechanical Engineering", ("COO",), ("HVAC",)),
    _Family("Network Engineer", "Network Engineering", ("CTO", "CIO"), ("Infrastructure",)),
    _Family("DevOps Engineer", "Infrastructure", ("CTO", "CIO"), ("Cloud", "SRE")),
    _Family(
        "Security Engineer",
        "Information Security",
        ("CISO", "Chief Information Security Officer"),
        ("AppSec",),
    ),
    _Family(
        "Sales Representative",
        "Sales",
        ("Chief Revenue Officer", "CRO"),
        ("Enterprise", "EMEA"),
        ("Sales Intern",),
        ("Sales Development Representative",),
    ),
    _Family("Account Executive", "Business Development", ("Chief Revenue Officer",), ("Mid-Market",)),
    _Family(
        "Marketing Specialist",
        "Marketing",
        ("CMO", "Chief Marketing Officer"),
        ("Growth", "Brand"),
        ("Marketing Intern",),
        ("Marketing Coordinator",),
    ),
    _Family(
        "HR Generalist",
        "Human Resources",
        ("Chief People Officer", "CHRO"),
        ("Benefits",),
        ("HR Intern",),
        ("HR Assistant",),
    ),
    _Family("Recruiter", "Talent Acquisition", ("Chief People Officer",), ("Technical",)),
    _Family("UX Designer", "Design", ("Chief Design Officer",), ("Product Design",)),
    _Family("Product Analyst", "Product", ("Chief Product Officer", "CPO"), ("Growth", "Core")),
    _Family(
        "Customer Support Specialist",
        "Customer Support",
        ("COO",),
        ("Tier 2",),
        ("Customer Service Trainee",),
        ("Customer Service Representative", "Call Center Agent"),
    ),
    _Family("Operations Analyst", "Operations", ("COO", "Chief Operating Officer"), ("Fulfillment",)),
    _Family("Supply Chain Analyst", "Supply Chain", ("COO",), ("Procurement",)),
    _Family(
        "Teacher",
        "Academics",
        ("Superintendent of Schools",),
        ("Mathematics", "Science"),
        ("Student Teacher", "Teaching Assistant"),
    ),
    _Family(
        "Warehouse Associate",
        "Warehouse Operations",
        ("COO",),
        ("Inbound",),
        ("Warehouse Trainee",),
        ("Forklift Operator",),
    ),
)

_LEVEL_TEMPLATES = {
    1: ("{role} Intern", "{role} Trainee", "Graduate {role}", "Entry Level {role}", "Apprentice {role}"),
    2: ("Junior {role}", "{role}", "Jr. {role}", "{role} I"),
    3: ("Senior {role}", "Lead {role}", "Sr. {role}", "{role} II", "{role} III", "Staff {role}"),
    4: (
        "{area} Manager",
        "Manager, {area}",
        "{role} Manager",
        "Senior Manager, {area}",
        "Superintendent {role}",
    ),
    5: ("Head of {area}", "VP {area}", "VP of {area}", "Vice President, {area}", "Chief of {area}"),
    6: ("Director of {area}", "Managing Director, {area}", "Director of {area}, {team}", "Partner, {area}"),
    7: (),  # from _Family.chiefs and _EXECUTIVES
}
_EXECUTIVES = ("CEO", "Chief Executive Officer", "President & CEO", "COO", "CFO", "Founder & CEO")
# Juniors are posted far more often than chiefs.
_LEVEL_WEIGHTS = {1: 0.10, 2: 0.25, 3: 0.30, 4: 0.16, 5: 0.09, 6: 0.07, 7: 0.03}


@lru_cache(maxsize=1)
def companies() -> tuple[str, ...]:
    """A few hundred plausible company names, the same in every run."""
    rng = random.Random(UNIVERSE_SEED)
    names: list[str] = []
    combos = [(base, suffix) for base in _COMPANY_BASES for suffix in _COMPANY_SUFFIXES]
    rng.shuffle(combos)
    for base, suffix in combos:
        name = f"{base} {suffix}" if suffix else base
        if name not in names:
            names.append(name)
        if len(names) == _N_COMPANIES:
            break
    return tuple(names)


@lru_cache(maxsize=1)
def job_titles() -> tuple[tuple[str, int], ...]:
    """Every canonical title with the seniority (1..7 on the SPEC scale) it was written for."""
    titles: dict[str, int] = {}
    for family in _FAMILIES:
        for level, templates in _LEVEL_TEMPLATES.items():
            for template in templates:
                for team in family.teams[:1] if "{team}" in template else (None,):
                    titles.setdefault(template.format(role=family.role, area=family.area, team=team), level)
        for title in family.entry:
            titles.setdefault(title, 1)
        for title in family.junior:
            titles.setdefault(title, 2)
        for title in family.chiefs:
            titles.setdefault(title, 7)
        # Team suffixes like "Senior Data Engineer - Data Flow" keep the base title's level.
        for team in family.teams:
            for level, template in ((2, "{role}"), (3, "Senior {role}"), (4, "{area} Manager")):
                base = template.format(role=family.role, area=family.area)
                titles.setdefault(f"{base} - {team}", level)
                titles.setdefault(f"{base}, {team}", level)
    for title in _EXECUTIVES:
        titles.setdefault(title, 7)
    return tuple(titles.items())


@lru_cache(maxsize=1)
def posting_pairs() -> tuple[tuple[str, str, int], ...]:
    """The (company, title, seniority) pairs postings are drawn from, most popular first."""
    rng = random.Random(UNIVERSE_SEED + 1)
    company_names = companies()
    company_weights = list(
        itertools.accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(company_names)))
    )
    titles = list(job_titles())
    rng.shuffle(titles)
    # Title popularity: Zipf over a shuffled order, scaled by how often each level is posted.
    title_weights = list(
        itertools.accumulate(
            _LEVEL_WEIGHTS[level] / (rank + 1) ** 0.6 for rank, (_, level) in enumerate(titles)
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


# --- spelling variants: equal after NFKC, casefold, whitespace collapse and trim ------------------


def _fullwidth(text: str, rng: random.Random) -> str:
    positions = [i for i, c in enumerate(text) if "!" <= c <= "~"]
    if not positions:
        return text
    chosen = set(rng.sample(positions, k=max(1, len(positions) // rng.choice((1, 2, 8)))))
    return "".join(chr(ord(c) + 0xFEE0) if i in chosen else c for i, c in enumerate(text))


def _replace_one_space(text: str, replacement: str, rng: random.Random) -> str:
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return replacement + text
    i = rng.choice(spaces)
    return text[:i] + replacement + text[i + 1 :]


_VARIANTS = (
    lambda text, rng: text.upper(),
    lambda text, rng: text.lower(),
    lambda text, rng: text.title(),
    lambda text, rng: text.replace(" ", "  "),
    lambda text, rng: _replace_one_space(text, "   ", rng),
    lambda text, rng: " " + text + "  ",
    lambda text, rng: text + "\t",
    lambda text, rng: _replace_one_space(text, "\u00a0", rng),  # no-break space
    lambda text, rng: _replace_one_space(text, "\u3000", rng),  # ideographic space
    _fullwidth,
    lambda text, rng: text.replace("ffi", "\ufb03").replace("fi", "\ufb01"),  # ligatures
)


def spelling_variant(text: str, rng: random.Random) -> str:
    """`text` spelled differently (case, spacing, fullwidth or ligatures) but equal once normalized."""
    variant = rng.choice(_VARIANTS)(text, rng)
    if rng.random() < 0.3:
        variant = rng.choice(_VARIANTS)(variant, rng)
    return variant


# --- lines and files ------------------------------------------------------------------------------


def _posting(rng: random.Random, timestamp: int) -> dict:
    pair_index = bisect_left(_pair_cum_weights(), rng.random() * _pair_cum_weights()[-1])
    company, title, _ = posting_pairs()[min(pair_index, len(posting_pairs()) - 1)]
    domain = _domain(company)
    if rng.random() < EMPTY_COMPANY_RATE:
        company = ""  # valid per SPEC: company may be empty
    if rng.random() < VARIANT_RATE:
        if rng.random() < 0.75:
            title = spelling_variant(title, rng)
        if company and rng.random() < 0.5:
            company = spelling_variant(company, rng)
    posting = {
        "url": f"https://www.{domain}/job/{rng.randrange(10**9, 10**10)}/",
        "company": company,
        "title": title,
        "location": rng.choice(_LOCATIONS),
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


def _encode(posting: object) -> bytes:
    # The scraper writes UTF-8 as is (not \\u escapes), so fullwidth and accented characters stay raw.
    return json.dumps(posting, ensure_ascii=False).encode("utf-8")


def _bad_line(kind: str, rng: random.Random, timestamp: int) -> bytes:
    posting = _posting(rng, timestamp)
    if kind == "invalid_json":
        line = _encode(posting).decode()
        return rng.choice(
            (
                line.replace('"title"', "title", 1),  # unquoted key
                line.replace('"', "'"),  # Python repr instead of JSON
                line[:-1] + ",}",  # trailing comma
                line.replace(", ", " ", 1),  # missing comma
            )
        ).encode("utf-8")
    if kind == "truncated_json":
        line = _encode(posting)
        return line[: rng.randrange(1, len(line) - 1)]
    if kind == "missing_title":
        del posting["title"]
    elif kind == "empty_title":
        posting["title"] = rng.choice(("", " ", "   ", "\t"))
    elif kind == "title_not_string":
        posting["title"] = rng.choice((None, 42, 3.5, True, ["Data Engineer"], {"name": posting["title"]}))
    elif kind == "json_array":
        return _encode(rng.choice(([posting], list(posting.values()), [])))
    elif kind == "invalid_utf8":
        # A Latin-1 "é" or a stray byte, as from a scraper that skipped decoding.
        line = _encode(posting)
        stray = rng.choice((b" \xe9quipe", b"\xff", b"\xc3"))
        return line.replace(b'", "location"', stray + b'", "location"', 1)
    elif kind == "company_not_string":
        posting["company"] = rng.choice((None, 7, ["Acme Corp"]))
    else:
        raise ValueError(f"unknown bad line kind {kind!r}; expected one of {', '.join(BAD_LINE_KINDS)}")
    return _encode(posting)


def generate_file(timestamp: int, n_lines: int, seed: int, bad_line_rate: float = 0.01) -> bytes:
    """One raw JSONL file of `n_lines` lines (blank and bad ones included); same arguments, same bytes."""
    if not 0 <= bad_line_rate < 1:
        raise ValueError(f"bad_line_rate must be in [0, 1), got {bad_line_rate}")
    rng = random.Random(f"{seed}:{timestamp}")
    bad_kinds = list(BAD_LINE_KINDS)
    rng.shuffle(bad_kinds)
    n_bad = 0
    lines: list[bytes] = []
    for _ in range(n_lines):
        draw = rng.random()
        if draw < bad_line_rate:
            # Rotating through the kinds puts every kind in any file with enough bad lines.
            lines.append(_bad_line(bad_kinds[n_bad % len(bad_kinds)], rng, timestamp))
            n_bad += 1
        elif draw < bad_line_rate * 1.5:
            lines.append(rng.choice((b"", b"", b"  ")))
        else:
            lines.append(_encode(_posting(rng, timestamp)))
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

    from enrichment_platform.devstack.services import ensure_bucket

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
