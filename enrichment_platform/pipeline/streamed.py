"""A raw file larger than one chunk through the three steps a chunk at a time (pipeline/chunks.py), with
the same outputs and facts as the whole file would give.

raw_job_postings stages each chunk's parsed sections as a part of its own (PARSED, version
`<etag>.<index>`) and how many there are (PARTS); the raw bytes and the quarantine are staged as whole
files, as for any file. The augmentation works part by part and keeps only the file's distinct keys and one
level digit per line; the export fills one part at a time into a multipart upload.
"""

import pickle
import time
from collections.abc import Callable, Iterator
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from enrichment_platform.cache.keys import KEY_DTYPE
from enrichment_platform.pipeline.augment import AugmentStats, DistinctPairs
from enrichment_platform.pipeline.chunks import RepeatedUrls, chunk_bytes, cut_lines, streaming_slots
from enrichment_platform.pipeline.hand_off import (
    DIGIT_OFFSETS,
    KEYS,
    PARSED,
    QUARANTINE,
    RAW,
    SPELLINGS,
    TEMPLATE,
    LocalStage,
    stage_parsed,
)
from enrichment_platform.postings.parse import ParsedFile, parse_postings, quarantine_jsonl
from enrichment_platform.postings.template import fill_seniority

if TYPE_CHECKING:
    from enrichment_platform.pipeline.storage import PipelineStorage

PARTS = "parts"  # how many parts a streamed file's parsed sections are staged in
COUNTED_FACTS = ("lines", "blank", "valid", "quarantined", "complete")
Seniority = Callable[..., tuple[np.ndarray, AugmentStats]]  # augmented.cache_then_model's


def part_version(etag: str, index: int) -> str:
    return f"{etag}.{index}"


def _parsed_chunks(
    storage: "PipelineStorage", name: str, etag: str, size: int
) -> Iterator[tuple[bytes, ParsedFile]]:
    """Each chunk of that exact raw version with its lines validated, numbered on across chunks."""
    lines = 0
    for index, chunk in enumerate(cut_lines(storage.get_pieces(storage.raw, name, etag), size)):
        parsed = parse_postings(chunk, first_line=lines + 1, file_start=index == 0)
        lines += parsed.lines
        yield chunk, parsed


def validate_streamed(stage: LocalStage, storage: "PipelineStorage", name: str, etag: str) -> dict:
    """Validate a raw file chunk by chunk, staging its raw bytes (RAW), each chunk's parsed sections and its
    quarantine JSONL (QUARANTINE, when it has bad lines); its facts, those `validate_and_stage` gives."""
    facts = dict.fromkeys(COUNTED_FACTS, 0)
    urls = RepeatedUrls()  # urls repeat across chunks too
    parts = 0
    with stage.writer(RAW, name) as raw, stage.writer(QUARANTINE, name) as quarantine:
        for chunk, parsed in _parsed_chunks(storage, name, etag, chunk_bytes()):
            raw.write(chunk)
            stage_parsed(stage, name, part_version(etag, parts), parsed)
            quarantine.write(quarantine_jsonl(parsed.quarantine))
            urls.add(parsed.urls)
            for fact in COUNTED_FACTS:
                facts[fact] += getattr(parsed, fact)
            parts += 1
        raw.commit(etag)
        if facts["quarantined"]:
            quarantine.commit(etag)
    stage.write(PARTS, name, etag, str(parts).encode())
    return {**facts, "duplicate_urls": urls.repeats()}


def staged_parts(stage: LocalStage, storage: "PipelineStorage", name: str, etag: str) -> int:
    """How many parts raw_job_postings staged a parsed file in; 0 when it staged it whole. When this run's
    stage has neither (a step running elsewhere), the file is parsed again from that exact raw version and
    staged, whole or by chunks as its size asks."""
    if stage.exists(PARSED, name, etag):
        return 0
    count = stage.read(PARTS, name, etag)
    if count is not None:
        return int(count)
    size = chunk_bytes()
    data = storage.get_unless_larger(storage.raw, name, etag, size)
    if data is not None:
        stage_parsed(stage, name, etag, parse_postings(data))
        return 0
    parts = 0
    with streaming_slots:
        for _, parsed in _parsed_chunks(storage, name, etag, size):
            stage_parsed(stage, name, part_version(etag, parts), parsed)
            parts += 1
    stage.write(PARTS, name, etag, str(parts).encode())
    return parts


def _part_section(stage: LocalStage, name: str, etag: str, index: int, section: int) -> bytes:
    data = stage.read_section(PARSED, name, part_version(etag, index), section)
    if data is None:
        raise FileNotFoundError(
            f"part {index} of {name} ({etag}) is no longer staged in {stage.root}/{PARSED}; "
            "materialize raw_job_postings and the assets after it again"
        )
    return data


def part_pairs(stage: LocalStage, name: str, etag: str, index: int) -> DistinctPairs:
    """The distinct pairs of one part's valid postings (`hand_off.load_pairs` of a part)."""
    keys, inverse = pickle.loads(_part_section(stage, name, etag, index, KEYS))

    @cache
    def spellings() -> list[tuple[str, str]]:
        return pickle.loads(_part_section(stage, name, etag, index, SPELLINGS))

    return DistinctPairs(keys=keys, inverse=inverse, spellings=spellings)


def seniority_of_parts(
    stage: LocalStage, name: str, etag: str, parts: int, seniority: Seniority
) -> tuple[np.ndarray, AugmentStats]:
    """Seniority per posting of a file staged in parts, a part at a time. A pair is looked up (and inferred)
    only in the first part it appears in, and later parts reuse its level, so the stats count the file's
    distinct pairs, cache hits and model requests as the whole file would."""
    known_keys = np.empty(0, dtype=KEY_DTYPE)  # sorted, with their levels
    known_levels = np.empty(0, dtype=np.uint8)
    total = AugmentStats()
    line_levels = []
    for index in range(parts):
        started = time.perf_counter()
        pairs = part_pairs(stage, name, etag, index)
        where = np.minimum(np.searchsorted(known_keys, pairs.keys), max(len(known_keys) - 1, 0))
        seen = known_keys[where] == pairs.keys if len(known_keys) else np.zeros(len(pairs.keys), bool)
        new = np.flatnonzero(~seen)
        new_pairs = DistinctPairs(
            keys=pairs.keys[new],
            inverse=np.arange(len(new)),
            spellings=cache(
                lambda spellings=pairs.spellings, new=new: [spellings()[i] for i in new.tolist()]
            ),
        )
        new_levels, stats = seniority(new_pairs, seconds_normalize=time.perf_counter() - started)
        key_levels = np.empty(len(pairs.keys), dtype=np.uint8)
        key_levels[seen] = known_levels[where[seen]]
        key_levels[new] = new_levels
        line_levels.append(key_levels[pairs.inverse])
        total.lines += len(pairs.inverse)
        for stat in fields(AugmentStats):  # `lines` counts the part's new pairs here: counted above instead
            if stat.name != "lines":
                setattr(total, stat.name, getattr(total, stat.name) + getattr(stats, stat.name))
        at = np.searchsorted(known_keys, new_pairs.keys)
        known_keys = np.insert(known_keys, at, new_pairs.keys)
        known_levels = np.insert(known_levels, at, new_levels)
    return np.concatenate(line_levels) if line_levels else np.empty(0, np.uint8), total


def filled_parts(stage: LocalStage, name: str, etag: str, parts: int, digits: bytes) -> Iterator[bytes]:
    """The output of a file staged in parts, a part at a time: each part's template filled with its lines'
    digits (`fill_seniority`)."""
    start = 0
    for index in range(parts):
        template = _part_section(stage, name, etag, index, TEMPLATE)
        digit_offsets = np.frombuffer(_part_section(stage, name, etag, index, DIGIT_OFFSETS), dtype=np.int64)
        yield fill_seniority(template, digit_offsets, digits[start : start + len(digit_offsets)])
        start += len(digit_offsets)
    if start != len(digits):
        raise ValueError(f"{start} lines but {len(digits)} seniority levels: the staged files disagree")


def remove_parts(stage: LocalStage, name: str, etag: str, parts: int) -> None:
    """Forget a file's parsed parts once exported (no step reads them again)."""
    for index in range(parts):
        stage.remove_file(PARSED, name, part_version(etag, index))
    stage.remove_file(PARTS, name, etag)
