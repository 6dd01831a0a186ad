"""Adding the seniority to posting lines without re-serializing them (original bytes are kept)."""

from collections.abc import Sequence

import numpy as np

from enrichment_platform.seniority.scale import LEVELS, MAX_LEVEL

# What replaces a line's closing '}': the field with a placeholder digit, the brace, the line end.
_PLACEHOLDER_SUFFIX = b',"seniority":0}\n'
_DIGIT_FROM_END = 3  # the digit's place counted back from the end of its line: `N}\n`


def seniority_template(lines: Sequence[bytes]) -> tuple[bytes, np.ndarray]:
    """The JSONL output before the levels are known: each valid line (ending in '}') with `"seniority": 0`
    added as its last field, and the offset of each line's digit. Built once per file when it is validated,
    so that writing the levels in later costs no work per line."""
    suffix = _PLACEHOLDER_SUFFIX
    template = suffix.join([line[:-1] for line in lines]) + suffix if lines else b""
    line_ends = np.cumsum(np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + (len(suffix) - 1))
    return template, line_ends - _DIGIT_FROM_END


def fill_seniority(template: bytes, digit_offsets: np.ndarray, digits: bytes) -> bytes:
    """The template with each line's level digit (`encode_levels`, the staged form) in place of its
    placeholder."""
    if len(digit_offsets) != len(digits):
        raise ValueError(
            f"{len(digit_offsets)} lines but {len(digits)} seniority levels: the staged files disagree"
        )
    if digits and not (ord("0") <= min(digits) and max(digits) <= ord("0") + MAX_LEVEL):
        wrong = next(digit for digit in digits if not ord("0") <= digit <= ord("0") + MAX_LEVEL)
        raise ValueError(f"seniority level {wrong - ord('0')} does not fit the output (0 to {MAX_LEVEL})")
    output = np.frombuffer(template, dtype=np.uint8).copy()
    output[digit_offsets] = np.frombuffer(digits, dtype=np.uint8)
    return output.tobytes()


def encode_levels(levels: np.ndarray) -> bytes:
    """Seniority levels as one ASCII digit per line (the staged form of the augmented asset)."""
    return (levels.astype(np.uint8) + ord("0")).tobytes()


def level_counts(levels: np.ndarray) -> list[int]:
    """Counts of each level of the scale, in order; anything else is out of range."""
    return [int(np.count_nonzero(levels == level)) for level in LEVELS]
