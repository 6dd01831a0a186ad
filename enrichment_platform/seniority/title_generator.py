"""Deterministic generator of the labeled job titles the seniority model is trained on.

Titles are composed from the job families and level patterns of the vocabulary (resources/training/*.yaml),
following the seniority scale, then dressed with the noise real postings carry. The titles of the independent
evaluation set (resources/evaluation/titles.csv) are never drawn, so the model is never trained on them.
"""

from __future__ import annotations

import random

from enrichment_platform.seniority.evaluation import read_evaluation_set
from enrichment_platform.seniority.posting_noise import add_posting_noise
from enrichment_platform.seniority.scale import LEVELS
from enrichment_platform.seniority.training_data import LabeledTitle, spec_examples, title_key
from enrichment_platform.seniority.vocabulary import Role, Translation, Vocabulary, load_vocabulary

SEED = 20240717
# Suffix of the draw source of a partnership's partners' titles; the rows keep the family's name.
PARTNERS_SOURCE = "#partners"
# About one title in four is German, French or Spanish.
FOREIGN_SHARE = 0.25
NOISY_SHARE = 0.7


def _junior_level(base: int) -> int:
    return min(base, 2)


def _senior_level(base: int) -> int:
    return min(base + 1, 3)


def _role_candidates(
    roles: tuple[Role, ...], lead_level: int, staff_titles: bool, vocabulary: Vocabulary
) -> dict[int, list[str]]:
    """Clean titles built from individual-contributor roles, by level."""
    patterns = vocabulary.role_patterns
    by_level: dict[int, list[str]] = {level: [] for level in LEVELS}
    for role, base in roles:
        by_level[base].append(role)
        by_level[1].extend(pattern.format(role=role) for pattern in patterns[1] if base >= 2)
        by_level[_junior_level(base)].append(f"Junior {role}")
        by_level[_senior_level(base)].append(f"Senior {role}")
        if base == 2:
            by_level[2].extend(
                pattern.format(role=role)
                for pattern in patterns[2]
                if not (pattern.startswith("Associate") and "Associate" in role)
            )
        if base >= 2:
            by_level[3].extend(pattern.format(role=role) for pattern in patterns[3])
            by_level[lead_level if base >= 3 else 3].append(f"Lead {role}")
            by_level[4].extend(pattern.format(role=role) for pattern in patterns[4])
        if base == 3:
            by_level[3].append(f"Associate {role}")
        if base >= 2 and not _is_chief_or_officer(role):
            # "Chief Accountant", "Chief Engineer": the chief of a trade is 5; only a Chief ... Officer is 7.
            by_level[5].extend(pattern.format(role=role) for pattern in patterns.get(5, ()))
        if staff_titles and base >= 2:
            by_level[3].extend((f"Staff {role}", f"Principal {role}", f"Senior Staff {role}"))
    return by_level


def _is_chief_or_officer(role: str) -> bool:
    words = role.split()
    return words[0] == "Chief" or words[-1] == "Officer"


def _partner_candidates(
    roles: tuple[Role, ...], departments: tuple[str, ...], patterns: dict[int, tuple[str, ...]]
) -> dict[int, list[str]]:
    """Titles of a partnership's partners ("Partner, Litigation", "Attorney, Partner"), by level.

    Only licensed professions (bare level 3: Attorney, Chartered Accountant) are named beside "Partner", so
    the bare roles of the family keep their own level.
    """
    by_level: dict[int, list[str]] = {level: [] for level in LEVELS}
    professionals = [role for role, base in roles if base >= 3]
    for level, level_patterns in patterns.items():
        for pattern in level_patterns:
            if "{role}" in pattern:
                by_level[level].extend(pattern.format(role=role) for role in professionals)
            elif "{dept}" in pattern:
                by_level[level].extend(pattern.format(dept=dept) for dept in departments)
            else:
                by_level[level].append(pattern)
    return by_level


def _department_candidates(departments: tuple[str, ...], vocabulary: Vocabulary) -> dict[int, list[str]]:
    """Clean titles built from the departments a family's managers, heads and directors lead, by level."""
    return {
        level: [pattern.format(dept=dept) for pattern in level_patterns for dept in departments]
        for level, level_patterns in vocabulary.department_patterns.items()
    }


def _language_candidates(
    language: str, translation: Translation, vocabulary: Vocabulary
) -> dict[int, list[str]]:
    """Clean non-English titles of one family in one language, by level."""
    by_level: dict[int, list[str]] = {level: [] for level in LEVELS}
    for level, (role_patterns, dept_patterns) in vocabulary.language_patterns[language].items():
        for role, base in translation.roles:
            if level == base and level in (1, 2, 3):
                by_level[level].append(role)
            if level == 1 and base >= 2:
                by_level[1].extend(pattern.format(role=role) for pattern in role_patterns)
            elif level == 2 and base >= 1:
                by_level[_junior_level(base)].extend(pattern.format(role=role) for pattern in role_patterns)
            elif level == 3 and base >= 1:
                by_level[_senior_level(base)].extend(pattern.format(role=role) for pattern in role_patterns)
        for dept in translation.departments:
            by_level[level].extend(pattern.format(dept=dept) for pattern in dept_patterns)
    return by_level


def _generic_language_titles(vocabulary: Vocabulary) -> dict[str, set[str]]:
    """Per language, the top titles that name no department ("Geschäftsführer", "PDG")."""
    return {
        language: {
            pattern
            for _, dept_patterns in by_level.values()
            for pattern in dept_patterns
            if "{" not in pattern
        }
        for language, by_level in vocabulary.language_patterns.items()
    }


def candidate_titles(vocabulary: Vocabulary | None = None) -> dict[int, dict[str, list[str]]]:
    """Every clean (noise-free) title by level and family: English first, then German, French and Spanish."""
    vocabulary = vocabulary or load_vocabulary()
    candidates: dict[int, dict[str, list[str]]] = {level: {} for level in LEVELS}

    def add(level: int, family: str, titles: list[str] | tuple[str, ...]) -> None:
        bucket = candidates[level].setdefault(family, [])
        bucket.extend(title for title in titles if title not in bucket)

    for family in vocabulary.families:
        by_role = _role_candidates(family.roles, family.lead_level, family.staff_titles, vocabulary)
        for level, titles in by_role.items():
            add(level, family.name, titles)
        for level, titles in _department_candidates(family.departments, vocabulary).items():
            add(level, family.name, titles)
        for level, titles in family.extra.items():
            add(level, family.name, titles)
        for language, translation in family.translations.items():
            for level, titles in _language_candidates(language, translation, vocabulary).items():
                add(level, f"{family.name}@{language}", titles)
        if family.partnership:
            # Partners are a source of their own, so that each partnership's partners are drawn often enough.
            partner_sources = {"en": (family.roles, family.departments)}
            partner_sources |= {
                language: (translation.roles, translation.departments)
                for language, translation in family.translations.items()
            }
            for language, (roles, departments) in partner_sources.items():
                by_level = _partner_candidates(roles, departments, vocabulary.partner_patterns[language])
                source = f"{family.name}{PARTNERS_SOURCE}" + ("" if language == "en" else f"@{language}")
                for level, titles in by_level.items():
                    add(level, source, titles)
    # Top titles without a department belong to no family but general management.
    generic_titles = _generic_language_titles(vocabulary)
    for level, by_family in candidates.items():
        for name in [name for name in by_family if "@" in name]:
            language = name.partition("@")[2]
            generic = [title for title in by_family[name] if title in generic_titles[language]]
            by_family[name] = [title for title in by_family[name] if title not in generic]
            add(level, f"general_management@{language}", generic)
    return {
        level: {name: titles for name, titles in by_family.items() if titles}
        for level, by_family in candidates.items()
    }


def generate_training_titles(seed: int = SEED) -> list[LabeledTitle]:
    """Draw the labeled set: the scale's examples, then distinct noisy titles per level over the families."""
    rng = random.Random(seed)
    vocabulary = load_vocabulary()
    candidates = candidate_titles(vocabulary)
    held_out = {title_key(row.title) for row in read_evaluation_set()}
    rows: list[LabeledTitle] = []
    label_of: dict[str, int] = {}

    def add(title: str, level: int, family: str) -> bool:
        key = title_key(title)
        if not key or key in held_out:
            return False
        if key in label_of:
            if label_of[key] != level:
                raise ValueError(
                    f"training rules disagree on {title!r}: level {label_of[key]} and level {level}"
                )
            return False
        label_of[key] = level
        rows.append(LabeledTitle(title, level, family))
        return True

    for example in spec_examples():
        add(example.title, example.seniority, example.family)
    for level, target in vocabulary.titles_per_level.items():
        english = [name for name in candidates[level] if "@" not in name]
        foreign = [name for name in candidates[level] if "@" in name]
        drawn = sum(1 for row in rows if row.seniority == level)
        attempts = 0
        while drawn < target:
            attempts += 1
            if attempts > 200 * target:
                raise RuntimeError(
                    f"could not draw {target} distinct level-{level} titles; "
                    "add patterns to resources/training/levels.yaml"
                )
            source = rng.choice(foreign) if foreign and rng.random() < FOREIGN_SHARE else rng.choice(english)
            family, _, language = source.partition("@")
            family = family.removesuffix(PARTNERS_SOURCE)
            title = rng.choice(candidates[level][source])
            if rng.random() < NOISY_SHARE:
                title = add_posting_noise(title, language or "en", rng)
            drawn += add(title, level, family)
    return rows
