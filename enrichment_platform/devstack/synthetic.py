"""The vocabulary of synthetic postings, shared by the demo's sample files and the benchmark's days.

Company names, job titles with the seniority they were written for, and locations come from the data files
in `resources/synthetic/`; spelling variants (equal once normalized) and bad lines (each a reason the contract
rejects a line for) are defined here, so every generator spells and breaks postings the same way.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

from enrichment_platform.seniority.data_files import package_directory
from enrichment_platform.seniority.scale import LEVELS, MAX_LEVEL, MIN_LEVEL

SYNTHETIC_FILES_PACKAGE = "enrichment_platform.devstack.synthetic_files"
VOCABULARY_SEED = 20240717  # fixed, so every generator draws from the same companies in the same order

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


def vocabulary_file(name: str) -> Path:
    """The path of one vocabulary file: `resources/synthetic/<name>`, shipped as package data."""
    return package_directory(SYNTHETIC_FILES_PACKAGE) / name


@cache
def _vocabulary(name: str) -> dict:
    path = vocabulary_file(name)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"synthetic vocabulary {path} is missing: run from a checkout of the repository"
        ) from error


# --- companies, titles, locations -----------------------------------------------------------------


@cache
def company_names(count: int) -> tuple[str, ...]:
    """`count` distinct company names, the same ones in the same order in every run.

    Every base with every suffix first, in a fixed shuffled order; beyond those, numbered branches.
    """
    vocabulary = _vocabulary("companies.yaml")
    combos = [(base, suffix) for base in vocabulary["bases"] for suffix in vocabulary["suffixes"]]
    random.Random(VOCABULARY_SEED).shuffle(combos)
    bases = list(dict.fromkeys(f"{base} {suffix}" if suffix else base for base, suffix in combos))
    names = list(bases)
    branch = 2
    while len(names) < count:
        names.extend(f"{name} {branch}" for name in bases)
        branch += 1
    return tuple(names[:count])


@cache
def job_titles() -> tuple[tuple[str, int], ...]:
    """Every canonical title with the seniority it was written for, in the vocabulary's order."""
    vocabulary = _vocabulary("titles.yaml")
    templates: dict[int, list[str]] = vocabulary["level_templates"]
    titles: dict[str, int] = {}
    for family in vocabulary["families"]:
        role, area, teams = family["role"], family["area"], family.get("teams", [])
        for level, level_templates in templates.items():
            for template in level_templates:
                for team in teams[:1] if "{team}" in template else (None,):
                    titles.setdefault(template.format(role=role, area=area, team=team), level)
        for title in family.get("entry", []):
            titles.setdefault(title, MIN_LEVEL)
        for title in family.get("junior", []):
            titles.setdefault(title, MIN_LEVEL + 1)
        for title in family["chiefs"]:
            titles.setdefault(title, MAX_LEVEL)
        # Team suffixes like "Senior Data Engineer - Data Flow" keep the base title's level.
        for team in teams:
            for level, template in ((2, "{role}"), (3, "Senior {role}"), (4, "{area} Manager")):
                base = template.format(role=role, area=area)
                titles.setdefault(f"{base} - {team}", level)
                titles.setdefault(f"{base}, {team}", level)
    for title in vocabulary["executives"]:
        titles.setdefault(title, MAX_LEVEL)
    outside = {title: level for title, level in titles.items() if level not in LEVELS}
    if outside:
        raise ValueError(f"titles.yaml gives levels outside {MIN_LEVEL}..{MAX_LEVEL}: {outside}")
    return tuple(titles.items())


def level_weights() -> dict[int, float]:
    """How often each seniority level is posted, relative to the others."""
    return dict(_vocabulary("titles.yaml")["level_weights"])


def locations() -> tuple[str, ...]:
    """The locations postings are written for."""
    return tuple(_vocabulary("locations.yaml")["locations"])


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


SPELLING_VARIANTS: tuple[Callable[[str, random.Random], str], ...] = (
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
    variant = rng.choice(SPELLING_VARIANTS)(text, rng)
    if rng.random() < 0.3:
        variant = rng.choice(SPELLING_VARIANTS)(variant, rng)
    return variant


# --- bad lines: one per reason a line is rejected -------------------------------------------------


def encode_posting(posting: object) -> bytes:
    """One JSONL line as the scraper writes it: UTF-8 as is, not \\u escapes, so wide characters stay raw."""
    return json.dumps(posting, ensure_ascii=False).encode("utf-8")


def bad_line(kind: str, posting: dict, rng: random.Random) -> bytes:
    """A line made from `posting` that the contract rejects for the reason `kind` (one of BAD_LINE_KINDS)."""
    posting = dict(posting)
    if kind == "invalid_json":
        line = encode_posting(posting).decode()
        return rng.choice(
            (
                line.replace('"title"', "title", 1),  # unquoted key
                line.replace('"', "'"),  # Python repr instead of JSON
                line[:-1] + ",}",  # trailing comma
                line.replace(", ", " ", 1),  # missing comma
            )
        ).encode("utf-8")
    if kind == "truncated_json":
        line = encode_posting(posting)
        return line[: rng.randrange(1, len(line) - 1)]
    if kind == "missing_title":
        del posting["title"]
    elif kind == "empty_title":
        posting["title"] = rng.choice(("", " ", "   ", "\t"))
    elif kind == "title_not_string":
        posting["title"] = rng.choice((None, 42, 3.5, True, ["Data Engineer"], {"name": posting["title"]}))
    elif kind == "json_array":
        return encode_posting(rng.choice(([posting], list(posting.values()), [])))
    elif kind == "invalid_utf8":
        # A Latin-1 "é" or a stray byte, as from a scraper that skipped decoding.
        line = encode_posting(posting)
        stray = rng.choice((b" \xe9quipe", b"\xff", b"\xc3"))
        return line.replace(b'", "location"', stray + b'", "location"', 1)
    elif kind == "company_not_string":
        posting["company"] = rng.choice((None, 7, ["Acme Corp"]))
    else:
        raise ValueError(f"unknown bad line kind {kind!r}; expected one of {', '.join(BAD_LINE_KINDS)}")
    return encode_posting(posting)
