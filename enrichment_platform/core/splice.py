"""Adding the seniority to posting lines without re-serializing them (original bytes are kept)."""

from collections.abc import Sequence

import numpy as np

_SUFFIXES = [b',"seniority":%d}\n' % level for level in range(8)]


def splice_seniority(lines: Sequence[bytes], levels: np.ndarray) -> bytes:
    """JSONL output: each valid line (ending in '}') with `"seniority": level` added as its last field."""
    if len(lines) != len(levels):
        raise ValueError(f"{len(lines)} lines but {len(levels)} seniority levels: the staged files disagree")
    suffixes = _SUFFIXES
    return b"".join([line[:-1] + suffixes[level] for line, level in zip(lines, levels.tolist())])


def encode_levels(levels: np.ndarray) -> bytes:
    """Seniority levels as one ASCII digit per line (the staged form of the augmented asset)."""
    return (levels.astype(np.uint8) + ord("0")).tobytes()


def decode_levels(data: bytes) -> np.ndarray:
    """Inverse of `encode_levels`."""
    return np.frombuffer(data, dtype=np.uint8) - ord("0")


def level_counts(levels: np.ndarray) -> list[int]:
    """Counts of levels 1..7, in order; anything else is out of range."""
    return [int(np.count_nonzero(levels == level)) for level in range(1, 8)]
