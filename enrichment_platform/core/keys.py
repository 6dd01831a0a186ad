"""Fingerprints of normalized pairs and their place in the Redis cache."""

import numpy as np
import xxhash

# str.split() treats the unit separator as whitespace, so it never occurs inside normalized text.
PAIR_SEPARATOR = "\x1f"


def pair_key(company_norm: str, title_norm: str) -> int:
    """A 64-bit fingerprint of a normalized pair (xxh3)."""
    return xxhash.xxh3_64_intdigest(f"{company_norm}{PAIR_SEPARATOR}{title_norm}".encode())


def pair_keys(pairs: list[tuple[str, str]]) -> np.ndarray:
    """Fingerprints of many normalized pairs, as a uint64 array."""
    digest = xxhash.xxh3_64_intdigest
    return np.fromiter(
        (digest(f"{c}{PAIR_SEPARATOR}{t}".encode()) for c, t in pairs), dtype=np.uint64, count=len(pairs)
    )
