"""Normalization of (company, title) pairs: the dedupe and cache identity of a posting."""

import unicodedata


def normalize_text(text: str) -> str:
    """NFKC, casefold, collapse whitespace runs to one space, trim (the contract's normalization)."""
    if text.isascii():
        # ASCII is already NFKC; lower() equals casefold() on ASCII and is faster.
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def normalize_texts(texts: list[str]) -> list[str]:
    """`normalize_text` of many texts; the ASCII case is written out here, beside the rule, because a
    function call per text would cost a fifth of a file's fingerprinting."""
    return [" ".join(text.lower().split()) if text.isascii() else normalize_text(text) for text in texts]


def normalize_pair(company: str, title: str) -> tuple[str, str]:
    """The normalized (company, title) pair; postings with equal pairs get equal seniority."""
    return normalize_text(company), normalize_text(title)
