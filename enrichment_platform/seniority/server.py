"""gRPC server of the seniority model: SeniorityModel.InferSeniority, grpc.health.v1 and capacity emulation.

With a capacity of N pairs/s the server behaves like the production endpoint: batches are served in arrival
order as if pairs were processed at N per second, so excess load queues and latency grows instead of failing.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from enrichment_platform.seniority import seniority_pb2, seniority_pb2_grpc
from enrichment_platform.seniority.metrics import ServerMetrics
from enrichment_platform.seniority.model import SeniorityClassifier

logger = logging.getLogger(__name__)

SERVICE_NAME = "SeniorityModel"
MAX_BATCH_SIZE = 1000
VERSION_METADATA_KEY = "x-model-version"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051
DEFAULT_CAPACITY = 1000.0
# Enough threads that callers queued behind the capacity limit wait in line instead of waiting for a thread.
DEFAULT_MAX_WORKERS = 32
DEFAULT_GRACE_SECONDS = 5.0
_SERVER_OPTIONS = (
    # Without this, a second server on the same port would silently share it instead of failing to start.
    ("grpc.so_reuseport", 0),
    # An oversized batch must reach the handler to be answered INVALID_ARGUMENT, not RESOURCE_EXHAUSTED.
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
)


class CapacityQueue:
    """FIFO emulation of an endpoint that processes pairs_per_second pairs per second (0 = unlimited).

    Each batch reserves its slot on arrival: it starts when the previous one would have finished and
    lasts n / pairs_per_second seconds, so throughput never exceeds the capacity over any window.
    """

    def __init__(self, pairs_per_second: float):
        if pairs_per_second < 0:
            raise ValueError(f"capacity must be >= 0 pairs/s (0 = unlimited), got {pairs_per_second}")
        self.pairs_per_second = pairs_per_second
        self._lock = threading.Lock()
        self._next_free = 0.0
        self._released = threading.Event()

    def reserve(self, pairs: int) -> float:
        """Book the next slot for a batch of pairs; returns the monotonic time the batch may complete at."""
        now = time.monotonic()
        if self.pairs_per_second == 0 or pairs == 0:
            return now
        with self._lock:
            start = max(now, self._next_free)
            self._next_free = start + pairs / self.pairs_per_second
            return self._next_free

    def wait_until(self, completes_at: float) -> None:
        """Sleep until completes_at, or until release() during shutdown."""
        remaining = completes_at - time.monotonic()
        if remaining > 0:
            self._released.wait(remaining)

    def release(self) -> None:
        """Wake every waiting batch, so a stopping server does not keep threads asleep."""
        self._released.set()


class RequestLog:
    """One line per call, `<arrival unix time> <pairs>`, so the load the endpoint saw can be analysed."""

    def __init__(self, path: Path | None):
        self._file = path.open("a", buffering=1) if path else None
        self._lock = threading.Lock()

    def record(self, pairs: int) -> None:
        if self._file is not None:
            with self._lock:
                self._file.write(f"{time.time():.6f} {pairs}\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class SeniorityModelServicer(seniority_pb2_grpc.SeniorityModelServicer):
    """InferSeniority as proto/seniority.proto defines it, backed by a SeniorityClassifier."""

    def __init__(
        self,
        model: SeniorityClassifier,
        capacity: CapacityQueue,
        request_log: RequestLog | None = None,
        metrics: ServerMetrics | None = None,
    ):
        self._model = model
        self._capacity = capacity
        self._request_log = request_log or RequestLog(None)
        self._metrics = metrics

    def InferSeniority(
        self, request: seniority_pb2.SeniorityRequestBatch, context: grpc.ServicerContext
    ) -> seniority_pb2.SeniorityResponseBatch:
        """One seniority per request, uuids echoed in request order, paced by the emulated capacity."""
        context.send_initial_metadata(((VERSION_METADATA_KEY, self._model.version),))
        pairs = request.batch
        if len(pairs) > MAX_BATCH_SIZE:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"batch holds {len(pairs)} requests; send at most {MAX_BATCH_SIZE} per call",
            )
        response = seniority_pb2.SeniorityResponseBatch()
        if not pairs:
            return response
        started = time.monotonic()
        self._request_log.record(len(pairs))
        completes_at = self._capacity.reserve(len(pairs))
        levels = self._model.predict([pair.company for pair in pairs], [pair.title for pair in pairs])
        results = response.batch
        for pair, level in zip(pairs, levels.tolist()):
            results.add(uuid=pair.uuid, seniority=level)
        predicted = time.monotonic()
        self._capacity.wait_until(completes_at)
        if self._metrics is not None:
            done = time.monotonic()
            self._metrics.answered(len(pairs), predicted - started, done - predicted, done - started)
        return response


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class RunningServer:
    """A started seniority model server: where it listens and how to stop it."""

    server: grpc.Server
    health: health.HealthServicer
    capacity: CapacityQueue
    version: str
    host: str
    port: int

    @property
    def target(self) -> str:
        """gRPC target clients dial, e.g. 127.0.0.1:50051."""
        return _address(self.host, self.port)

    def stop(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        """Report NOT_SERVING, refuse new calls, let in-flight calls finish within grace, then shut down."""
        self.health.enter_graceful_shutdown()
        stopped = self.server.stop(grace)
        stopped.wait(grace + 1.0)
        self.capacity.release()

    def wait(self) -> None:
        """Block until the server has stopped."""
        self.server.wait_for_termination()


def start_server(
    model: SeniorityClassifier,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    capacity: float = DEFAULT_CAPACITY,
    max_workers: int = DEFAULT_MAX_WORKERS,
    request_log: Path | None = None,
    credentials: grpc.ServerCredentials | None = None,
    metrics: ServerMetrics | None = None,
) -> RunningServer:
    """Start serving model on host:port (0 picks a free port) and mark it SERVING in the health service."""
    capacity_queue = CapacityQueue(capacity)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), options=_SERVER_OPTIONS)
    servicer = SeniorityModelServicer(model, capacity_queue, RequestLog(request_log), metrics)
    seniority_pb2_grpc.add_SeniorityModelServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    cannot_bind = (
        f"cannot listen on {_address(host, port)}: the address is in use or not local; pick another --port"
    )
    try:
        address = _address(host, port)
        bound_port = (
            server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
        )
    except RuntimeError as error:
        raise OSError(cannot_bind) from error
    if bound_port == 0:
        raise OSError(cannot_bind)
    server.start()
    for service in ("", SERVICE_NAME):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, health_servicer, capacity_queue, model.version, host, bound_port)


def tls_credentials(
    cert: Path | None, key: Path | None, client_ca: Path | None = None
) -> grpc.ServerCredentials | None:
    """TLS for the server from PEM files (None: plaintext); with `client_ca`, clients must present a
    certificate signed by it (mutual TLS)."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ValueError("TLS needs both --tls-cert and --tls-key")
    return grpc.ssl_server_credentials(
        [(key.read_bytes(), cert.read_bytes())],
        root_certificates=client_ca.read_bytes() if client_ca else None,
        require_client_auth=client_ca is not None,
    )


def describe_capacity(capacity: float) -> str:
    """'1000 pairs/s', or 'unlimited' for 0."""
    return f"{capacity:g} pairs/s" if capacity > 0 else "unlimited"


def serve(
    model_path: Path | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    capacity: float = DEFAULT_CAPACITY,
    grace: float = DEFAULT_GRACE_SECONDS,
    max_workers: int = DEFAULT_MAX_WORKERS,
    request_log: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    tls_client_ca: Path | None = None,
    metrics_port: int | None = None,
) -> None:
    """Load the model, serve it until SIGTERM or SIGINT, then shut down gracefully; with `metrics_port`,
    Prometheus metrics on that port too."""
    model = SeniorityClassifier.load(model_path)
    metrics = ServerMetrics() if metrics_port is not None else None
    running = start_server(
        model,
        host,
        port,
        capacity,
        max_workers,
        request_log,
        tls_credentials(tls_cert, tls_key, tls_client_ca),
        metrics,
    )
    if metrics is not None:
        bound = metrics.serve(host, metrics_port)
        logger.info("metrics on http://%s/metrics", _address(host, bound))
    logger.info(
        "seniority model %s serving on %s (capacity %s)",
        model.version,
        running.target,
        describe_capacity(capacity),
    )
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        logger.info("received %s, shutting down (grace %.1f s)", signal.Signals(signum).name, grace)
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # A timed wait keeps the main thread responsive to signals.
    while not stop_requested.wait(0.5):
        pass
    running.stop(grace)
    logger.info("seniority model %s stopped", model.version)
