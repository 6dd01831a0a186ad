"""gRPC client of the seniority model: full batches of distinct pairs, deadlines, retries, capacity pacing,
round robin over replicas, a circuit breaker per target."""

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from enrichment_platform.model_client.breaker import CircuitBreaker, CircuitOpenError
from enrichment_platform.model_client.errors import ModelContractError, ModelUnavailableError
from enrichment_platform.model_client.pacing import RateLimiter
from enrichment_platform.model_client.shared_capacity import SharedRateLimiter
from enrichment_platform.seniority import seniority_pb2, seniority_pb2_grpc
from enrichment_platform.seniority.scale import MAX_LEVEL, MIN_LEVEL

MAX_BATCH = 1_000  # the proto's limit per request
RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
UNVERSIONED = "unversioned"
# Round robin over every address the target resolves to (`dns:///model:50051`,
# `ipv4:10.0.0.1:50051,10.0.0.2:50051`), skipping replicas whose grpc.health.v1 status is not SERVING
# (e.g. draining after SIGTERM).
SERVICE_CONFIG = json.dumps(
    {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
)
CHANNEL_OPTIONS = [
    ("grpc.service_config", SERVICE_CONFIG),
    # A service config published in DNS (TXT records) must not switch the policy back to pick_first.
    ("grpc.service_config_disable_resolution", 1),
]


def _read_pem(variable: str, path: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ValueError(
            f"{variable}={path} cannot be read: {error.strerror}; point it at a PEM file"
        ) from error


# One breaker per target and process: every run and thread in a process learns at once that the model is down.
# Replicas behind one target share it; the calls in flight on a replica that dies fail within milliseconds of
# each other, so failures must span half a second to count as the model being down.
_BREAKERS: dict[str, CircuitBreaker] = {}
BREAKER_MIN_SPAN_SECONDS = 0.5


@dataclass
class ModelClient:
    """Client of `SeniorityModel.InferSeniority` at `target`, paced to `capacity` pairs/s (0 = unpaced).

    `target` is any gRPC target; when it names several replicas, calls go round robin over the healthy ones
    and `capacity` is that of all of them together. With `rate_limit_redis_url` the pace is shared by every
    process using that Redis, so all workers together stay within the capacity; without it each process
    keeps its own pace. The channel is opened on first use.
    """

    target: str
    capacity: int = 1000
    rate_limit_redis_url: str = ""
    batch_size: int = MAX_BATCH
    max_in_flight: int = 4
    timeout_seconds: float = 60.0
    max_attempts: int = 5
    model_version_override: str = ""
    tls_ca_path: str = ""
    tls_cert_path: str = ""
    tls_key_path: str = ""

    def __post_init__(self) -> None:
        self._channel: Any = None
        self._stub: Any = None
        self._limiter: Any = None

    @property
    def effective_batch_size(self) -> int:
        """Pairs per request: at most a quarter second of capacity. A request delayed on its way lets the
        next ones catch up with it, so a window can hold one request more than the rate allows; small
        requests keep that excess small (at 1,000 pairs/s: at most 10,250 pairs in any 10 s)."""
        return min(self.batch_size, max(1, self.capacity // 4)) if self.capacity else self.batch_size

    def _open(self) -> seniority_pb2_grpc.SeniorityModelStub:
        """The stub on a channel opened once per resource instance (with its capacity limiter)."""
        if self._stub is None:
            if not 1 <= self.batch_size <= MAX_BATCH:
                raise ValueError(f"batch_size must be within 1..{MAX_BATCH}, got {self.batch_size}")
            credentials = self._tls_credentials()
            self._channel = (
                grpc.secure_channel(self.target, credentials, CHANNEL_OPTIONS)
                if credentials
                else grpc.insecure_channel(self.target, CHANNEL_OPTIONS)
            )
            self._stub = seniority_pb2_grpc.SeniorityModelStub(self._channel)
            burst = self.effective_batch_size
            self._limiter = (
                SharedRateLimiter(
                    self.rate_limit_redis_url, f"ratelimit:seniority:{self.target}", self.capacity, burst
                )
                if self.rate_limit_redis_url and self.capacity
                else RateLimiter(rate=self.capacity, burst=burst)
            )
        return self._stub

    def _tls_credentials(self) -> grpc.ChannelCredentials | None:
        """TLS from the PEM files (None: plaintext); with a client certificate and key, mutual TLS."""
        if bool(self.tls_cert_path) != bool(self.tls_key_path):
            raise ValueError(
                "SENIORITY_MODEL_TLS_CERT and SENIORITY_MODEL_TLS_KEY go together: "
                "set both for mutual TLS, or neither"
            )
        if not (self.tls_ca_path or self.tls_cert_path):
            return None
        return grpc.ssl_channel_credentials(
            root_certificates=_read_pem(
                "SENIORITY_MODEL_TLS_CA", self.tls_ca_path
            ),  # None: the system's roots
            private_key=_read_pem("SENIORITY_MODEL_TLS_KEY", self.tls_key_path),
            certificate_chain=_read_pem("SENIORITY_MODEL_TLS_CERT", self.tls_cert_path),
        )

    def _what_to_check(self) -> str:
        # A refused TLS handshake reaches the client only as "Socket closed": name the settings that cause it.
        if self.tls_cert_path:
            return (
                "Check SENIORITY_MODEL_TARGET and the server; over mutual TLS, also that "
                "SENIORITY_MODEL_TLS_CA signed the server's certificate and the server's --tls-client-ca "
                "signed SENIORITY_MODEL_TLS_CERT."
            )
        if self.tls_ca_path:
            return (
                "Check SENIORITY_MODEL_TARGET and the server; over TLS, also SENIORITY_MODEL_TLS_CA, and if "
                "the server asks for client certificates (--tls-client-ca), set SENIORITY_MODEL_TLS_CERT and "
                "SENIORITY_MODEL_TLS_KEY."
            )
        return "Check SENIORITY_MODEL_TARGET and the server."

    @property
    def _breaker(self) -> CircuitBreaker:
        return _BREAKERS.setdefault(self.target, CircuitBreaker(min_span=BREAKER_MIN_SPAN_SECONDS))

    def close(self) -> None:
        """Close the channel, if one was opened."""
        if self._channel is not None:
            self._channel.close()
            self._channel = self._stub = None

    def _call(self, request: seniority_pb2.SeniorityRequestBatch) -> tuple[Any, Any]:
        """One request with a deadline, retried with exponential backoff and jitter on transient codes;
        refused at once while the circuit breaker is open."""
        stub = self._open()
        for attempt in range(1, self.max_attempts + 1):
            try:
                self._breaker.before_call(f"seniority model at {self.target}")
            except CircuitOpenError as error:
                raise ModelUnavailableError(str(error)) from error
            try:
                answer = stub.InferSeniority.with_call(request, timeout=self.timeout_seconds)
                self._breaker.record_success()
                return answer
            except grpc.RpcError as error:
                if error.code() in RETRYABLE:
                    self._breaker.record_failure(f"{error.code().name}: {error.details()}")
                if error.code() not in RETRYABLE or attempt == self.max_attempts:
                    raise ModelUnavailableError(
                        f"seniority model at {self.target} failed after {attempt} attempt(s): "
                        f"{error.code().name}: {error.details()}. {self._what_to_check()}"
                    ) from error
                time.sleep(min(10.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def health_status(self, timeout: float) -> str | None:
        """The server's overall grpc.health.v1 status ("SERVING", ...) over this client's channel, so with
        its TLS settings; None when it does not answer within `timeout` seconds."""
        self._open()
        try:
            response = health_pb2_grpc.HealthStub(self._channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError:
            return None
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)

    def model_version(self) -> str:
        """The cache namespace: the configured version, else the server's `x-model-version`, else
        'unversioned'."""
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
                batch=[
                    seniority_pb2.SeniorityRequest(uuid=i, company=pairs[i][0], title=pairs[i][1])
                    for i in pending
                ]
            )
            response, _ = self._call(request)
            asked = set(pending)
            for answer in response.batch:
                if answer.uuid not in asked:
                    raise ModelContractError(
                        f"seniority model at {self.target} answered unknown uuid {answer.uuid}"
                    )
                if not MIN_LEVEL <= answer.seniority <= MAX_LEVEL:
                    raise ModelContractError(
                        f"seniority model at {self.target} answered seniority {answer.seniority} for "
                        f"{pairs[answer.uuid]!r}; the scale allows {MIN_LEVEL}..{MAX_LEVEL}"
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
        size = self.effective_batch_size
        batches = [pairs[start : start + size] for start in range(0, len(pairs), size)]
        if len(batches) == 1:
            return self._infer_batch(batches[0])
        with ThreadPoolExecutor(max_workers=self.max_in_flight) as pool:
            return np.concatenate(list(pool.map(self._infer_batch, batches)))
