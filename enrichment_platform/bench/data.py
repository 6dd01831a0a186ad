"""Synthetic postings for the benchmark: Zipf-distributed (company, title) pairs over a universe of
configurable size, with spelling variants and a few bad lines, written fast enough for 8M lines.

Companies, titles, locations, spelling variants and bad lines are the vocabulary every generator shares
(devstack/synthetic.py); only the sampling is the benchmark's own (numpy, for size).
"""

import random
from dataclasses import dataclass

import numpy as np
import orjson

from enrichment_platform.devstack import synthetic
from enrichment_platform.postings.normalize import normalize_pair


@dataclass
class Universe:
    """The pairs postings are drawn from, most popular first."""

    companies: list[str]
    titles: list[str]
    weights: np.ndarray  # cumulative popularity, for sampling ranks

    @classmethod
    def build(cls, size: int, zipf_exponent: float, seed: int) -> "Universe":
        rng = np.random.default_rng(seed)
        companies = synthetic.company_names(max(10, size // 50))
        titles_pool = [title for title, _ in synthetic.job_titles()]
        company_of = rng.integers(0, len(companies), size=size)
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
    spelling_rng = random.Random(seed)
    ranks = universe.sample(lines, rng)
    variants = rng.random(lines) < variant_rate
    bad = rng.random(lines) < bad_rate
    jobs = rng.integers(10**6, 10**7, size=lines)
    locations = synthetic.locations()
    location_of = rng.integers(0, len(locations), size=lines)
    kinds = synthetic.BAD_LINE_KINDS
    dumps = orjson.dumps
    out = []
    for i in range(lines):
        rank = int(ranks[i])
        title = universe.titles[rank]
        if variants[i]:
            title = synthetic.spelling_variant(title, spelling_rng)
        posting = {
            "url": f"https://www.company{rank % 9973}.example/job/{int(jobs[i])}/",
            "company": universe.companies[rank],
            "title": title,
            "location": locations[int(location_of[i])],
            "scraped_on": timestamp - 60 + i % 60,
        }
        out.append(
            synthetic.bad_line(kinds[i % len(kinds)], posting, spelling_rng) if bad[i] else dumps(posting)
        )
    return b"\n".join(out) + b"\n", ranks[~bad]
