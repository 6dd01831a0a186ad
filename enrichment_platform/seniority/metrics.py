"""The model server's Prometheus metrics (`seniority-model serve --metrics-port`): pairs and calls answered,
batch sizes, inference time, and the time calls spend queued behind the emulated capacity."""

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

BATCH_BUCKETS = (1, 10, 50, 100, 250, 500, 1000)
SECONDS_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServerMetrics:
    """The metrics of one model server, in a registry of its own."""

    def __init__(self):
        self.registry = CollectorRegistry()
        registry = self.registry
        self.pairs = Counter("seniority_model_pairs", "Pairs answered (InferSeniority)", registry=registry)
        self.calls = Counter("seniority_model_calls", "InferSeniority calls answered", registry=registry)
        self.batch_pairs = Histogram(
            "seniority_model_batch_pairs", "Pairs per call", buckets=BATCH_BUCKETS, registry=registry
        )
        self.inference_seconds = Histogram(
            "seniority_model_inference_seconds",
            "Seconds the model took to predict a call's pairs",
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )
        self.capacity_wait_seconds = Histogram(
            "seniority_model_capacity_wait_seconds",
            "Seconds a call waited behind the emulated capacity after its prediction",
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )
        self.call_seconds = Histogram(
            "seniority_model_call_seconds",
            "Seconds from receiving a call to answering it",
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )

    def answered(self, pairs: int, inference: float, capacity_wait: float, total: float) -> None:
        self.pairs.inc(pairs)
        self.calls.inc()
        self.batch_pairs.observe(pairs)
        self.inference_seconds.observe(inference)
        self.capacity_wait_seconds.observe(capacity_wait)
        self.call_seconds.observe(total)

    def serve(self, host: str, port: int) -> int:
        """Serve /metrics over HTTP on host:port (0: a free port) in a background thread; the port."""
        server, _ = start_http_server(port, addr=host, registry=self.registry)
        return server.server_port
