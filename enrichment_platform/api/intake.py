"""Pushed requests over S3 and Redis, without HTTP: parts stored and numbered, close, status and results.

Each part's body is written to S3 first, under a key of its own, then committed by a Redis script that numbers
it unless the request is closed; close sets the closed flag in the same key slot and reads the committed list
back, so a part is either listed in `<erid>/closed.json` or refused, never stored and left out. closed.json is
the contract with the processing side, which reads it and the bodies it lists and writes `output.jsonl`,
`quarantine.jsonl` and last `result.json` beside it.
"""

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, BinaryIO

import botocore.exceptions
import orjson
import redis

from enrichment_platform.cache.connection import redis_errors
from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.pipeline.pushed import CLOSED_NAME, OUTPUT_NAME, QUARANTINE_NAME, RESULT_NAME
from enrichment_platform.pipeline.storage import s3_errors

if TYPE_CHECKING:  # the resource module imports this one
    from enrichment_platform.defs.resources.s3 import PostingsStorage

ERID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII
RESULT_OBJECTS = {"output": OUTPUT_NAME, "quarantine": QUARANTINE_NAME}
# S3 answers a refused If-None-Match with one of these: the object is already there.
ALREADY_WRITTEN_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412"}


class InvalidInputError(ValueError):
    """An erid or Idempotency-Key that breaks its rule (nothing reaches S3 or Redis)."""


class UnknownRequestError(LookupError):
    """No part was ever stored under this erid."""


class RequestClosedError(RuntimeError):
    """The request was closed: it takes no more parts."""


class RequestNotDoneError(RuntimeError):
    """The request's output was asked for before processing finished well."""


@dataclass(frozen=True)
class PartAnswer:
    """The answer to a stored part: what a retry with the same Idempotency-Key gets again."""

    erid: str
    part: int
    lines: int


@dataclass(frozen=True)
class RequestStatus:
    """Where a request stands, from what is stored; valid and quarantined are None until done."""

    erid: str
    status: str  # open | processing | done | failed
    parts: int
    lines: int
    valid: int | None = None
    quarantined: int | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        answer = asdict(self)
        if self.error is None:
            del answer["error"]
        return answer


def check_erid(erid: str) -> str:
    """The erid, or InvalidInputError when it is not 1-64 characters of [A-Za-z0-9_-]."""
    if not ERID.match(erid):
        raise InvalidInputError(f"erid {erid[:80]!r} must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
    return erid


def check_idempotency_key(key: str) -> str:
    if key and not IDEMPOTENCY_KEY.match(key):
        raise InvalidInputError("Idempotency-Key must be 1-255 visible ASCII characters")
    return key


@cache
def lua_source(name: str) -> str:
    """The source of `api/lua/<name>.lua`."""
    return (files(__package__) / "lua" / f"{name}.lua").read_text(encoding="utf-8")


class RequestStore:
    """The requests under one REQUESTS_URI: bodies and results in S3, part numbers and closed flags in Redis
    (keys hash-tagged per request, so a Redis Cluster keeps each request's keys in one slot)."""

    def __init__(
        self, storage: "PostingsStorage", redis_client: redis.Redis, redis_url: str, requests_uri: str
    ):
        self.storage = storage
        self.redis = redis_client
        self.redis_url = redis_url
        self.location = S3Location.parse(requests_uri)
        self._commit = redis_client.register_script(lua_source("commit_part"))
        self._close = redis_client.register_script(lua_source("close_request"))
        self._enqueue = redis_client.register_script(lua_source("enqueue_closed"))
        # Keys of all requests under this REQUESTS_URI, in one slot of their own: counters and the queue of
        # closed requests the processing sensor reads.
        self._counter_prefix = f"enrichment:requests:{{{self.location.uri}}}:"
        self._closed_queue = self._counter_prefix + "closed_queue"
        self._processing = self._counter_prefix + "processing"  # closed, no result yet

    def _keys(self, erid: str) -> list[str]:
        base = f"enrichment:request:{{{self.location.uri}{erid}}}:"
        return [base + "state", base + "parts", base + "answers"]

    # --- parts ------------------------------------------------------------------------------------

    def check_part(self, erid: str, idempotency_key: str) -> PartAnswer | None:
        """Before a body is read: the first answer to a retried Idempotency-Key, RequestClosedError for a
        closed request, else None (the commit checks both again)."""
        state, parts, answers = self._keys(erid)
        with redis_errors("checking a part", self.redis_url):
            closed = self.redis.hexists(state, "closed_at")
            part = self.redis.hget(answers, idempotency_key) if idempotency_key else None
            record = self.redis.lindex(parts, int(part) - 1) if part else None
        if record is not None:
            return PartAnswer(erid, int(part), orjson.loads(record)["lines"])
        if closed:
            raise RequestClosedError(f"request {erid} is closed: it takes no more parts")
        return None

    def store_part(
        self, erid: str, body: BinaryIO, lines: int, size: int, idempotency_key: str
    ) -> tuple[PartAnswer, bool]:
        """Write the body to S3, then number it: the answer, and whether this call stored the part. A body
        that is not committed (closed request, a retried Idempotency-Key, Redis failing) is deleted again."""
        name = (
            f"{erid}/parts/{uuid.uuid4().hex}.jsonl"  # numbered only at commit: no gaps from failed uploads
        )
        self.storage.put(self.location, name, body)
        record = orjson.dumps({"key": self.location.key(name), "lines": lines, "bytes": size})
        try:
            with redis_errors("committing a part", self.redis_url):
                outcome = self._commit(keys=self._keys(erid), args=[record, lines, size, idempotency_key])
        except BaseException as error:
            try:
                self.storage.delete(self.location, name)
            except Exception as delete_error:  # an uncommitted body is never listed: the first error matters
                error.add_note(f"deleting the uncommitted body {name} failed too: {delete_error}")
            raise
        if outcome[0] == b"stored":
            if outcome[1] == 1:
                self._count("open", 1)
            return PartAnswer(erid, outcome[1], lines), True
        self.storage.delete(self.location, name)
        if outcome[0] == b"duplicate":
            return PartAnswer(erid, outcome[1], orjson.loads(outcome[2])["lines"]), False
        raise RequestClosedError(f"request {erid} is closed: it takes no more parts")

    # --- close --------------------------------------------------------------------------------------

    def close(self, erid: str) -> dict:
        """Close the request and write its closed.json once; closing again changes nothing (and writes a
        closed.json a failed first close left unwritten). Returns the closed.json document."""
        with redis_errors("closing a request", self.redis_url):
            outcome = self._close(keys=self._keys(erid)[:2], args=[int(time.time())])
        if outcome[0] == b"unknown":
            raise UnknownRequestError(f"no part was posted under erid {erid}; post a part before closing")
        document = {
            "erid": erid,
            "closed_at": int(outcome[1]),
            "parts": [
                {"part": number, **orjson.loads(record)} for number, record in enumerate(outcome[2], 1)
            ],
        }
        self._write_once(f"{erid}/{CLOSED_NAME}", orjson.dumps(document))
        if outcome[0] == b"closed":
            self._count("open", -1)
            self._count("closed", 1)
            with redis_errors("counting requests", self.redis_url):
                self.redis.sadd(self._processing, erid)
        # Queued after closed.json exists, on every close: a close that failed before this line is
        # completed by the client's retry (the sensor launches a request's run once, whatever the queue).
        with redis_errors("queueing a closed request", self.redis_url):
            self._enqueue(keys=[self._closed_queue, self._counter_prefix + "closed_number"], args=[erid])
        return document

    # --- the queue of closed requests, for the processing sensor ------------------------------------

    def closed_after(self, number: int, limit: int) -> list[tuple[int, str]]:
        """(number, erid) of up to `limit` closed requests queued after `number`, in order."""
        with redis_errors("reading closed requests", self.redis_url):
            queued = self.redis.zrangebyscore(
                self._closed_queue, f"({number}", "+inf", start=0, num=limit, withscores=True
            )
        return [(int(score), erid.decode()) for erid, score in queued]

    def last_closed_number(self) -> int:
        """The number the last queued request was given (0 when Redis holds none: none yet, or data lost)."""
        with redis_errors("reading closed requests", self.redis_url):
            return int(self.redis.get(self._counter_prefix + "closed_number") or 0)

    def forget_closed(self, up_to: int) -> None:
        """Drop the queued requests numbered up to `up_to` (their runs were requested)."""
        with redis_errors("trimming closed requests", self.redis_url):
            self.redis.zremrangebyscore(self._closed_queue, "-inf", up_to)

    def _write_once(self, name: str, data: bytes) -> None:
        """PUT unless the object exists (If-None-Match: *): the first close's bytes are the ones kept."""
        try:
            with s3_errors("put", self.location, name):
                self.storage.client.put_object(
                    Bucket=self.location.bucket,
                    Key=self.location.key(name),
                    Body=data,
                    ContentType="application/json",
                    IfNoneMatch="*",
                )
        except Exception as error:
            cause = error.__cause__
            if not isinstance(cause, botocore.exceptions.ClientError):
                raise
            if cause.response.get("Error", {}).get("Code") not in ALREADY_WRITTEN_CODES:
                raise

    # --- status and results -----------------------------------------------------------------------

    def _get_json(self, erid: str, name: str) -> dict | None:
        data = self.storage.get_if_exists(self.location, f"{erid}/{name}")
        return None if data is None else orjson.loads(data)

    def status(self, erid: str) -> RequestStatus:
        """open (parts, not closed), processing (closed, no result.json), done or failed (result.json)."""
        with redis_errors("reading a request", self.redis_url):
            state = self.redis.hgetall(self._keys(erid)[0])
        parts, lines = int(state.get(b"parts", 0)), int(state.get(b"lines", 0))
        if state and b"closed_at" not in state:
            return RequestStatus(erid, "open", parts, lines)
        closed = self._get_json(erid, CLOSED_NAME)
        if closed is None and not state:
            raise UnknownRequestError(f"no request with erid {erid}")
        if closed is not None:
            parts, lines = len(closed["parts"]), sum(part["lines"] for part in closed["parts"])
        result = self._get_json(erid, RESULT_NAME)
        if result is None:
            return RequestStatus(erid, "processing", parts, lines)
        done = result["status"] == "done"
        return RequestStatus(
            erid,
            result["status"],
            parts,
            lines,
            valid=result.get("valid") if done else None,
            quarantined=result.get("quarantined") if done else None,
            error=result.get("error") if not done else None,
        )

    def result_chunks(self, erid: str, which: str) -> Iterator[bytes]:
        """The bytes of a done request's output or quarantine, in chunks; RequestNotDoneError before."""
        status = self.status(erid)
        if status.status != "done":
            detail = f": {status.error}" if status.error else ""
            raise RequestNotDoneError(
                f"request {erid} is {status.status}{detail}; its {which} is served once it is done"
            )
        name = f"{erid}/{RESULT_OBJECTS[which]}"
        with s3_errors("get", self.location, name):
            body = self.storage.client.get_object(Bucket=self.location.bucket, Key=self.location.key(name))[
                "Body"
            ]
        return body.iter_chunks(1 << 20)

    # --- counts for the metrics -------------------------------------------------------------------

    def _count(self, name: str, change: int) -> None:
        with redis_errors("counting requests", self.redis_url):
            self.redis.incrby(self._counter_prefix + name, change)

    def finished(self, erid: str) -> None:
        """The request's result was written (done or failed): it is no longer counted as processing."""
        with redis_errors("counting requests", self.redis_url):
            self.redis.srem(self._processing, erid)

    def counts(self) -> dict[str, int]:
        """Requests open now, processing now, and closed ever under this REQUESTS_URI (kept in Redis by every
        replica and the processing runs)."""
        with redis_errors("counting requests", self.redis_url):
            values = self.redis.mget([self._counter_prefix + "open", self._counter_prefix + "closed"])
            processing = self.redis.scard(self._processing)
        return {"open": int(values[0] or 0), "processing": processing, "closed": int(values[1] or 0)}
