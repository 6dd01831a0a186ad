"""gRPC client of the seniority model: full batches of distinct pairs, deadlines, retries, capacity pacing."""

import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dagster as dg
import grpc
import numpy as np
from pydantic import PrivateAttr

from enrichment_platform.core.rate_limit import RateLimiter
from enrichment_platform.seniority import seniority_pb2, seniority_pb2_grpc

MAX_BATCH = 1_000  # the SPEC's limit per request
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
UNVERSIONED = "unversioned"


class ModelUnavailableError(RuntimeError):
    """The model endpoint could not answer (infrastructure, retried by Dagster)."""


class ModelContractError(RuntimeError):
    """The model answered something the SPEC does not allow (a level outside 1..7, a lost uuid)."""


class SeniorityModelClient(dg.ConfigurableResource):
    """Client of `SeniorityModel.InferSeniority` at `target`, paced to `capacity` pairs/s (0 = unpaced)."""

    target: str
    capacity: int = 1000
    batch_size: int = MAX_BATCH
    max_in_flight: int = 4
    timeout_seconds: float = 60.0
    max_attempts: int = 5
    model_version_override: str = ""

    _channel: Any = PrivateAttr(default=None)
    _stub: Any = PrivateAttr(default=None)
    _limiter: Any = PrivateAttr(default=None)

    def _open(self) -> seniority_pb2_grpc.SeniorityModelStub:
        """The stub on a channel opened once per resource instance (with its capacity limiter)."""
        if self._stub is None:
            if not 1 <= self.batch_size <= MAX_BATCH:
                raise ValueError(f"batch_size must be within 1..{MAX_BATCH}, got {self.batch_size}")
            self._channel = grpc.insecure_channel(self.target)
            self._stub = seniority_pb2_grpc.SeniorityModelStub(self._channel)
            self._limiter = RateLimiter(rate=self.capacity, burst=self.batch_size)
        return self._stub

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._channel is not None:
            self._channel.close()

    def _call(self, request: seniority_pb2.SeniorityRequestBatch) -> tuple[Any, Any]:
        """One request with a deadline, retried with exponential backoff and jitter on transient codes."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._open().InferSeniority.with_call(request, timeout=self.timeout_seconds)
            except grpc.RpcError as error:
                if error.code() not in RETRYABLE or attempt == self.max_attempts:
                    raise ModelUnavailableError(
                        f"seniority model at {self.target} failed after {attempt} attempt(s): "
                        f"{error.code().name}: {error.details()}. Check SENIORITY_MODEL_TARGET and the server."
                    ) from error
                time.sleep(min(10.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def model_version(self) -> str:
        """The cache namespace: the configured version, else the server's `x-model-version`, else 'unversioned'."""
        if self.model_version_override:
            return self.model_version_override
        _, call = self._call(seniority_pb2.SeniorityRequestBatch())
        metadata = dict(call.initial_metadata() or ())
        return metadata.get("x-model-version") or UNVERSIONED

    def _infer_batch(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        levels = np.zeros(len(pairs), dtype=np.uint8)
        pending = list(range(len(pairs)))
        for _ in range(self.max_attempts):
            self._limiter.acquire(len(pending))
            request = seniority_pb2.SeniorityRequestBatch(
                batch=[seniority_pb2.SeniorityRequest(uuid=i, company=pairs[i][0], title=pairs[i][1]) for i in pending]
            )
            response, _ = self._call(request)
            asked = set(pending)
            for answer in response.batch:
                if answer.uuid not in asked:
                    raise ModelContractError(f"seniority model at {self.target} answered unknown uuid {answer.uuid}")
                if not 1 <= answer.seniority <= 7:
                    raise ModelContractError(
                        f"seniority model at {self.target} answered seniority {answer.seniority} for "
                        f"{pairs[answer.uuid]!r}; the SPEC allows 1..7"
                    )
                levels[answer.uuid] = answer.seniority
            # Re-ask only the uuids the answer left out.
            pending = [i for i in pending if levels[i] == 0]
            if not pending:
                return levels
        raise ModelContractError(
            f"seniority model at {self.target} left {len(pending)} of {len(pairs)} uuids unanswered "
            f"after {self.max_attempts} attempts"
        )

    def infer(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Seniority (uint8, 1..7) of each distinct normalized pair, in order; batches run concurrently."""
        if not pairs:
            return np.zeros(0, dtype=np.uint8)
        self._open()
        batches = [pairs[start:start + self.batch_size] for start in range(0, len(pairs), self.batch_size)]
        if len(batches) == 1:
            return self._infer_batch(batches[0])
        with ThreadPoolExecutor(max_workers=self.max_in_flight) as pool:
            return np.concatenate(list(pool.map(self._infer_batch, batches)))
