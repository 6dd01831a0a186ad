"""The vocabulary training titles are composed from, read from the YAML files of resources/training/.

`families.yaml` holds the job families, `levels.yaml` the level patterns (partners' titles among them) and how
many titles each level gets, `posting_noise.yaml` what scraped postings add to a title. Order matters: the
generator draws in file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from enrichment_platform.seniority.data_files import TRAINING_DIR

Role = tuple[str, int]  # (title of the bare role, level of the bare title)
Patterns = tuple[str, ...]


@dataclass(frozen=True)
class Translation:
    """A family's roles and departments in one non-English language."""

    roles: tuple[Role, ...]
    departments: tuple[str, ...]


@dataclass(frozen=True)
class Family:
    """A job family: individual-contributor roles, the departments its managers lead, and its own titles."""

    name: str
    roles: tuple[Role, ...]
    departments: tuple[str, ...]
    extra: dict[int, tuple[str, ...]] = field(default_factory=dict)
    lead_level: int = 3
    staff_titles: bool = False
    # Firms of the family (law, audit, consulting) are partnerships: partners' titles are drawn for it.
    partnership: bool = False
    translations: dict[str, Translation] = field(default_factory=dict)


@dataclass(frozen=True)
class Vocabulary:
    """Everything the title generator composes from, in the order of the data files."""

    families: tuple[Family, ...]
    titles_per_level: dict[int, int]
    role_patterns: dict[int, Patterns]
    department_patterns: dict[int, Patterns]
    # language -> level -> (role patterns, department patterns)
    language_patterns: dict[str, dict[int, tuple[Patterns, Patterns]]]
    # language -> level -> partners' titles ({role}, {dept}), for families that are partnerships
    partner_patterns: dict[str, dict[int, Patterns]]
    language_suffixes: dict[str, Patterns]
    sub_teams: Patterns
    locations: Patterns
    suffix_formats: Patterns
    prefixes: Patterns
    # (whole-word regex, short forms), applied in order
    abbreviations: tuple[tuple[re.Pattern[str], Patterns], ...]


def _roles(roles: dict[str, int]) -> tuple[Role, ...]:
    return tuple((title, int(level)) for title, level in roles.items())


def _family(name: str, entry: dict[str, Any]) -> Family:
    return Family(
        name=name,
        roles=_roles(entry["roles"]),
        departments=tuple(entry["departments"]),
        extra={int(level): tuple(titles) for level, titles in entry.get("extra", {}).items()},
        lead_level=int(entry.get("lead_level", 3)),
        staff_titles=bool(entry.get("staff_titles", False)),
        partnership=bool(entry.get("partnership", False)),
        translations={
            language: Translation(_roles(translation["roles"]), tuple(translation["departments"]))
            for language, translation in entry.get("translations", {}).items()
        },
    )


def _patterns_by_level(by_level: dict[int, list[str]]) -> dict[int, Patterns]:
    return {int(level): tuple(patterns) for level, patterns in by_level.items()}


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(f"training vocabulary not found at {path}; it is part of resources/training/")
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def load_vocabulary(directory: Path = TRAINING_DIR) -> Vocabulary:
    """Read the vocabulary files of directory (resources/training/ by default) once per process."""
    families = _read_yaml(directory / "families.yaml")
    levels = _read_yaml(directory / "levels.yaml")
    noise = _read_yaml(directory / "posting_noise.yaml")
    return Vocabulary(
        families=tuple(_family(name, entry) for name, entry in families.items()),
        titles_per_level={int(level): int(count) for level, count in levels["titles_per_level"].items()},
        role_patterns=_patterns_by_level(levels["english"]["role_patterns"]),
        department_patterns=_patterns_by_level(levels["english"]["department_patterns"]),
        language_patterns={
            language: {
                int(level): (tuple(patterns["role_patterns"]), tuple(patterns["department_patterns"]))
                for level, patterns in by_level.items()
            }
            for language, by_level in levels["languages"].items()
        },
        partner_patterns={
            language: _patterns_by_level(by_level)
            for language, by_level in levels["partner_patterns"].items()
        },
        language_suffixes={
            language: tuple(suffixes) for language, suffixes in noise["language_suffixes"].items()
        },
        sub_teams=tuple(noise["sub_teams"]),
        locations=tuple(noise["locations"]),
        suffix_formats=tuple(noise["suffix_formats"]),
        prefixes=tuple(noise["prefixes"]),
        abbreviations=tuple(
            (re.compile(rf"\b{re.escape(words)}\b"), tuple(forms))
            for words, forms in noise["abbreviations"].items()
        ),
    )
