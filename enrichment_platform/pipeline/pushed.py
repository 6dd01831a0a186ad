"""A pushed request's processing, without Dagster: its parts validated, augmented and exported in order by the
daily flow's engines, into one output and one quarantine object per request.

The intake (`api/intake.py`) leaves, under `REQUESTS_URI<erid>/`, the part bodies (`parts/<uuid>.jsonl`) and
`closed.json` listing them in order. The three steps here hand each other facts and levels through the staging
prefix (and the parsed parts through the run's local stage, rebuilt from the part bodies when missing), and
write `quarantine.jsonl`, `output.jsonl` and last `result.json` beside closed.json: a request is done only
once its result says so, and each object is written whole (one PUT of a spooled file).
"""

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import orjson

from enrichment_platform.pipeline.augment import AugmentStats, level_facts
from enrichment_platform.pipeline.hand_off import LocalStage, load_pairs, load_template, stage_parsed
from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.postings.parse import parse_postings, quarantine_jsonl
from enrichment_platform.postings.template import encode_levels, fill_seniority

if TYPE_CHECKING:
    from enrichment_platform.defs.resources.s3 import PostingsStorage

CLOSED_NAME = "closed.json"
RESULT_NAME = "result.json"
OUTPUT_NAME = "output.jsonl"
QUARANTINE_NAME = "quarantine.jsonl"
FACTS_NAME = "facts.json"  # a step's per-part facts, in the staging prefix
LEVELS_NAME = "levels"  # the augmentation's digits, one per valid line of all parts in order
PART_VERSION = "part"  # parts never change (each is written once under a name of its own)
SPOOL_MEMORY_BYTES = 8 << 20  # outputs larger than this are spooled to local disk before their PUT
# The steps' names, which name their staging prefixes too (the Dagster assets carry the same names).
VALIDATED = "request_raw_postings"
AUGMENTED = "request_augmented_postings"
EXPORTED = "request_exported_postings"


class RequestNotClosedError(RuntimeError):
    """The request has no closed.json: it is unknown or still open."""


class StepNotDoneError(RuntimeError):
    """A step's facts are missing: the step before has not processed the request (or its work was removed)."""


@dataclass(frozen=True)
class Part:
    """One part of a closed request, as closed.json lists it."""

    number: int
    name: str  # the body's object name under `<erid>/parts/`
    lines: int  # its non-blank lines, as the intake counted them


@dataclass
class StepTotals:
    """What a step did over all parts of a request, for its materialization and the checks."""

    parts: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(part[name] for part in self.parts)


class PartsAsRawFiles:
    """The request's parts where the daily hand-off helpers look for raw files (`storage.raw`), so that a
    step that finds a part unstaged rebuilds it from its body."""

    def __init__(self, storage: "PostingsStorage", parts: S3Location):
        self.storage = storage
        self.raw = parts

    def get(self, location: S3Location, name: str, expected_etag: str = "") -> bytes:
        return self.storage.get(location, name)


class PushedRequest:
    """One request's objects under REQUESTS_URI and its steps' work under the staging prefix."""

    def __init__(self, storage: "PostingsStorage", requests_uri: str, erid: str):
        self.storage = storage
        self.erid = erid
        self.location = S3Location.parse(requests_uri).child(erid)
        self.parts_location = self.location.child("parts")
        self.bodies = PartsAsRawFiles(storage, self.parts_location)

    @property
    def uri(self) -> str:
        return self.location.uri

    def parts(self) -> list[Part]:
        """The parts closed.json lists, in order; RequestNotClosedError without one."""
        data = self.storage.get_if_exists(self.location, CLOSED_NAME)
        if data is None:
            raise RequestNotClosedError(
                f"{self.location.uri}{CLOSED_NAME} does not exist: request {self.erid} is not closed "
                "(POST /v1/requests/{erid}/close), or not under this REQUESTS_URI"
            )
        return [
            Part(entry["part"], entry["key"].rsplit("/", 1)[-1], entry["lines"])
            for entry in orjson.loads(data)["parts"]
        ]

    def read_facts(self, step: str) -> list[dict]:
        return self.read_facts_document(step)["parts"]

    def write_facts(self, step: str, facts: list[dict], **extra) -> None:
        document = orjson.dumps({"erid": self.erid, **extra, "parts": facts})
        self.storage.put(self.storage.staging(step, self.erid), FACTS_NAME, document, "application/json")

    def output_size(self) -> int | None:
        """The bytes of the request's output object, None when there is none."""
        try:
            head = self.storage.client.head_object(
                Bucket=self.location.bucket, Key=self.location.key(OUTPUT_NAME)
            )
        except self.storage.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return head["ContentLength"]

    def read_facts_document(self, step: str) -> dict:
        data = self.storage.get_if_exists(self.storage.staging(step, self.erid), FACTS_NAME)
        if data is None:
            raise StepNotDoneError(
                f"{step} has not processed request {self.erid}: materialize its partition from the start"
            )
        return orjson.loads(data)

    def result(self) -> dict | None:
        data = self.storage.get_if_exists(self.location, RESULT_NAME)
        return None if data is None else orjson.loads(data)

    def write_result(self, result: dict) -> None:
        document = orjson.dumps({"erid": self.erid, **result})
        self.storage.put(self.location, RESULT_NAME, document, "application/json")

    def mark_failed(self, error: str) -> None:
        """The request's result when its processing failed for good: status `failed` and why."""
        self.write_result({"status": "failed", "error": error})

    def forget_result(self) -> None:
        """Back to `processing`: a result written by an earlier run no longer holds while this one runs."""
        self.storage.delete(self.location, RESULT_NAME)


@contextmanager
def _spooled() -> Iterator[BinaryIO]:
    """A file to assemble an object in: in memory while small, on local disk beyond SPOOL_MEMORY_BYTES."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES, prefix="enrichment-request-") as file:
        yield file


def _put_file(request: PushedRequest, name: str, file: BinaryIO) -> None:
    """One PUT of what was assembled: bytes while it is small (botocore sends a zero-length file body as a
    stream of unknown length, which S3 endpoints may wait on), the file itself beyond."""
    size = file.tell()
    file.seek(0)
    request.storage.put(request.location, name, file.read() if size <= SPOOL_MEMORY_BYTES else file)


Progress = Callable[[str], None]


def validate_request(request: PushedRequest, stage: LocalStage, log: Progress) -> StepTotals:
    """Validate every part in order: stage its valid lines for the next steps, and write the request's
    quarantine (`line` counting the lines of all parts, blank ones included, as if they were one file)."""
    started = time.perf_counter()
    request.forget_result()
    totals = StepTotals()
    first_line = 1
    with _spooled() as quarantine:
        for part in request.parts():
            parsed = parse_postings(request.bodies.get(request.parts_location, part.name), first_line)
            stage_parsed(stage, part.name, PART_VERSION, parsed)
            quarantine.write(quarantine_jsonl(parsed.quarantine))
            totals.parts.append(
                {
                    "part": part.number,
                    "name": part.name,
                    "first_line": first_line,
                    "lines": parsed.lines,
                    "blank": parsed.blank,
                    "valid": parsed.valid,
                    "quarantined": parsed.quarantined,
                    "intake_lines": part.lines,  # the intake's count of non-blank lines, for conservation
                    "complete": parsed.complete,
                    "duplicate_urls": parsed.duplicate_urls,
                }
            )
            first_line += parsed.lines
            log(f"part {part.number}: {parsed.valid} valid, {parsed.quarantined} quarantined")
        _put_file(request, QUARANTINE_NAME, quarantine)
    request.write_facts(VALIDATED, totals.parts)
    totals.seconds = time.perf_counter() - started
    return totals


def augment_request(
    request: PushedRequest,
    stage: LocalStage,
    namespace: str,
    seniority: Callable[..., tuple[np.ndarray, AugmentStats]],
    log: Progress,
) -> StepTotals:
    """A level for every valid line of every part, in order, through `seniority(pairs)` (the daily flow's
    cache-then-model engine, bound to the cache and model); the digits staged as one object."""
    started = time.perf_counter()
    totals = StepTotals()
    digits = []
    for part in request.read_facts(VALIDATED):
        pairs = load_pairs(stage, request.bodies, part["name"], PART_VERSION)
        levels, stats = seniority(pairs)
        digits.append(encode_levels(levels))
        totals.parts.append(
            {
                "part": part["part"],
                "name": part["name"],
                **level_facts(levels, stats),
                "seconds_model": round(stats.seconds_model, 4),
            }
        )
        log(
            f"part {part['part']}: {stats.lines} lines, {stats.distinct_pairs} distinct pairs, "
            f"{stats.cache_hits} from the cache, {stats.model_requests} from the model"
        )
    staged = request.storage.staging(AUGMENTED, request.erid)
    request.storage.put(staged, LEVELS_NAME, b"".join(digits), "application/octet-stream")
    request.write_facts(AUGMENTED, totals.parts, model_version=namespace)
    totals.seconds = time.perf_counter() - started
    return totals


def export_request(request: PushedRequest, stage: LocalStage, log: Progress) -> StepTotals:
    """The request's output (each valid line's original bytes plus its seniority, parts in order) written
    whole, then result.json: from then on the request is done."""
    started = time.perf_counter()
    totals = StepTotals()
    validated = {part["part"]: part for part in request.read_facts(VALIDATED)}
    digits = request.storage.get(request.storage.staging(AUGMENTED, request.erid), LEVELS_NAME)
    offset = 0
    with _spooled() as output:
        for part in request.read_facts(AUGMENTED):
            template, digit_offsets = load_template(stage, request.bodies, part["name"], PART_VERSION)
            count = len(digit_offsets)
            output.write(fill_seniority(template, digit_offsets, digits[offset : offset + count]))
            offset += count
            totals.parts.append({"part": part["part"], "lines": count})
        if offset != len(digits):
            raise ValueError(
                f"request {request.erid}: {len(digits)} staged levels but {offset} valid lines in its parts; "
                "materialize its partition from the start"
            )
        size = output.tell()
        _put_file(request, OUTPUT_NAME, output)
    log(f"{offset} lines ({size:,} bytes) written to {request.uri}{OUTPUT_NAME}")
    request.write_facts(EXPORTED, totals.parts, output_bytes=size)
    request.write_result(
        {
            "status": "done",
            "lines": sum(part["lines"] - part["blank"] for part in validated.values()),
            "valid": sum(part["valid"] for part in validated.values()),
            "quarantined": sum(part["quarantined"] for part in validated.values()),
        }
    )
    stage.remove()
    totals.seconds = time.perf_counter() - started
    return totals
