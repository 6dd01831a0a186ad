"""Synthetic postings for the benchmark: Zipf-distributed (company, title) pairs over a universe of
configurable size, with spelling variants and a few bad lines, written fast enough for 8M lines."""

import unicodedata
from dataclasses import dataclass

import numpy as np
import orjson

from enrichment_platform.postings.normalize import normalize_pair

ROLES = [
    "Data Engineer",
    "Software Engineer",
    "Accountant",
    "Attorney",
    "Nurse",
    "Sales Representative",
    "Product Manager",
    "Electrical Engineer",
    "Marketing Specialist",
    "Financial Analyst",
    "Recruiter",
    "Mechanical Engineer",
    "Teacher",
    "Pharmacist",
    "Graphic Designer",
    "Project Manager",
    "Paralegal",
    "Customer Success Manager",
    "DevOps Engineer",
    "Data Scientist",
    "HR Generalist",
    "Buyer",
    "Chef",
    "Warehouse Associate",
    "Security Analyst",
    "Civil Engineer",
    "Copywriter",
    "Auditor",
    "Controller",
]
PREFIXES = [
    "",
    "Senior ",
    "Junior ",
    "Lead ",
    "Principal ",
    "Staff ",
    "Associate ",
    "Head of ",
    "VP ",
    "Director of ",
    "Chief ",
    "Intern ",
    "Trainee ",
    "Sr. ",
    "Jr. ",
]
SUFFIXES = ["", " I", " II", " III", " - Remote", " (Contract)", ", Platform", " - New York", " - EMEA"]
CITIES = ["New York, NY", "Austin, TX", "London, UK", "Berlin, DE", "Remote", "Chicago, IL", "Paris, FR"]


@dataclass
class Universe:
    """The pairs postings are drawn from, most popular first."""

    companies: list[str]
    titles: list[str]
    weights: np.ndarray  # cumulative popularity, for sampling ranks

    @classmethod
    def build(cls, size: int, zipf_exponent: float, seed: int) -> "Universe":
        rng = np.random.default_rng(seed)
        n_companies = max(10, size // 50)
        companies = [
            f"Company {i:06d} {('Inc', 'LLC', 'GmbH', 'Ltd', 'Corp')[i % 5]}" for i in range(n_companies)
        ]
        titles_pool = [p + r + s for r in ROLES for p in PREFIXES for s in SUFFIXES]
        company_of = rng.integers(0, n_companies, size=size)
        title_of = rng.integers(0, len(titles_pool), size=size)
        # Distinct (company, title) combinations; duplicates of the draw are replaced by a numbered title.
        seen, pair_companies, pair_titles = set(), [], []
        for i, (c, t) in enumerate(zip(company_of.tolist(), title_of.tolist())):
            title = titles_pool[t] if (c, t) not in seen else f"{titles_pool[t]} {i}"
            seen.add((c, t))
            pair_companies.append(companies[c])
            pair_titles.append(title)
        popularity = 1.0 / np.arange(1, size + 1) ** zipf_exponent
        return cls(pair_companies, pair_titles, np.cumsum(popularity / popularity.sum()))

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        return np.minimum(np.searchsorted(self.weights, rng.random(count)), len(self.titles) - 1)

    def distinct_normalized(self, ranks: np.ndarray) -> int:
        """How many distinct normalized pairs the given ranks cover (what the model must see, cold)."""
        return len({normalize_pair(self.companies[r], self.titles[r]) for r in np.unique(ranks).tolist()})


def _variant(text: str, kind: int) -> str:
    if kind == 0:
        return text.upper()
    if kind == 1:
        return text.lower()
    if kind == 2:
        return "  " + text.replace(" ", "  ") + " "
    return unicodedata.normalize("NFKC", text).replace("a", "ａ", 1)  # a fullwidth letter


BAD_LINES = [
    b'{"company": "Acme", "title": ',
    b"not json at all",
    b'{"company": "Acme"}',
    b'{"company": "Acme", "title": "   "}',
    b'["a", "b"]',
    b'{"company": 1, "title": "CFO"}',
]


def generate_file(
    universe: Universe,
    timestamp: int,
    lines: int,
    seed: int,
    variant_rate: float = 0.05,
    bad_rate: float = 0.005,
) -> tuple[bytes, np.ndarray]:
    """One raw file's bytes and the universe ranks of its valid postings."""
    rng = np.random.default_rng(seed)
    ranks = universe.sample(lines, rng)
    variants = rng.random(lines) < variant_rate
    variant_kinds = rng.integers(0, 4, size=lines)
    bad = rng.random(lines) < bad_rate
    jobs = rng.integers(10**6, 10**7, size=lines)
    cities = rng.integers(0, len(CITIES), size=lines)
    dumps = orjson.dumps
    out = []
    for i in range(lines):
        if bad[i]:
            out.append(BAD_LINES[i % len(BAD_LINES)])
            continue
        rank = int(ranks[i])
        company, title = universe.companies[rank], universe.titles[rank]
        if variants[i]:
            title = _variant(title, int(variant_kinds[i]))
        out.append(
            dumps(
                {
                    "url": f"https://www.company{rank % 9973}.example/job/{int(jobs[i])}/",
                    "company": company,
                    "title": title,
                    "location": CITIES[int(cities[i])],
                    "scraped_on": timestamp - 60 + i % 60,
                }
            )
        )
    return b"\n".join(out) + b"\n", ranks[~bad]
