"""The noise scraped postings carry, added to clean training titles: abbreviations, suffixes, casing."""

from __future__ import annotations

import random
import unicodedata

from enrichment_platform.seniority.vocabulary import Vocabulary, load_vocabulary


def _abbreviate(title: str, rng: random.Random, vocabulary: Vocabulary) -> str:
    for regex, forms in vocabulary.abbreviations:
        if regex.search(title) and rng.random() < 0.6:
            title = regex.sub(rng.choice(forms), title)
    return title


def _suffix(rng: random.Random, vocabulary: Vocabulary) -> str:
    return rng.choice(vocabulary.suffix_formats).format(
        sub=rng.choice(vocabulary.sub_teams),
        loc=rng.choice(vocabulary.locations),
        num=rng.randrange(1000, 99999),
        rung=rng.randrange(1, 10),
    )


def _strip_accents(title: str) -> str:
    decomposed = unicodedata.normalize("NFKD", title)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _recase(title: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return title.upper()
    if style < 0.8:
        return title.lower()
    return " ".join(rng.choice((str.upper, str.lower, str.title))(word) for word in title.split(" "))


def add_posting_noise(title: str, language: str, rng: random.Random) -> str:
    """Dress a clean title as scraped postings do: abbreviations, suffixes, ladder codes, requisition numbers,
    brackets, pipes and dashes, casing, missing accents, stray spaces."""
    vocabulary = load_vocabulary()
    if language == "en" and rng.random() < 0.6:
        title = _abbreviate(title, rng, vocabulary)
    if language != "en" and rng.random() < 0.5:
        title += rng.choice(vocabulary.language_suffixes[language])
    if rng.random() < 0.45:
        title += _suffix(rng, vocabulary)
        if rng.random() < 0.15:
            title += _suffix(rng, vocabulary)
    if rng.random() < 0.04:
        title = rng.choice(vocabulary.prefixes) + title
    if language != "en" and rng.random() < 0.1:
        title = _strip_accents(title)
    if rng.random() < 0.15:
        title = _recase(title, rng)
    if rng.random() < 0.03:
        title = title.replace(" ", "  ", 1)
    if rng.random() < 0.03:
        title = f" {title} "
    return title
