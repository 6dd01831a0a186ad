"""The API's Prometheus metrics (requests by route template and status, latency, parts and lines received,
synchronous lookups by cache result, model pairs, pushed requests by state) and the ASGI middleware that
times every HTTP request."""

import logging
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from enrichment_platform.cache.connection import CacheUnavailableError
from enrichment_platform.pipeline.augment import AugmentStats

log = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class RequestCounts(Collector):
    """`enrichment_api_pushed_requests{state}`: open, processing and closed requests under REQUESTS_URI,
    from the Redis counters every replica and the processing runs keep, at scrape time."""

    def __init__(self, counts: Callable[[], dict[str, int]]):
        self.counts = counts

    def collect(self):
        try:
            counts = self.counts()
        except CacheUnavailableError as error:
            log.warning("pushed request counts left out of /metrics: %s", error)
            return
        family = GaugeMetricFamily(
            "enrichment_api_pushed_requests",
            "Pushed requests by state: open (parts, not closed) and processing (closed, no result yet) now, "
            "closed ever",
            labels=["state"],
        )
        for state, count in counts.items():
            family.add_metric([state], count)
        yield family


class ApiMetrics:
    """The metrics of one API process, in a registry of its own."""

    def __init__(self, request_counts: Callable[[], dict[str, int]]):
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "enrichment_api_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "enrichment_api_http_request_seconds",
            "Seconds from receiving a request to its last response byte, by route template and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.parts = Counter(
            "enrichment_api_parts_received", "Parts stored (retries not counted)", registry=registry
        )
        self.lines = Counter(
            "enrichment_api_lines_received", "Non-blank lines of the parts stored", registry=registry
        )
        self.part_bytes = Counter(
            "enrichment_api_part_bytes_received", "Bytes of the parts stored", registry=registry
        )
        self.lookup_pairs = Counter(
            "enrichment_api_seniority_pairs",
            "Distinct normalized pairs of /v1/seniority calls, by cache result (hit, or miss: inferred by "
            "this call or waited for another's inference)",
            ["cache"],
            registry=registry,
        )
        self.model_pairs = Counter(
            "enrichment_api_model_pairs", "Pairs /v1/seniority calls asked of the model", registry=registry
        )
        registry.register(RequestCounts(request_counts))

    def part_stored(self, lines: int, size: int) -> None:
        self.parts.inc()
        self.lines.inc(lines)
        self.part_bytes.inc(size)

    def lookup_answered(self, stats: AugmentStats) -> None:
        self.lookup_pairs.labels("hit").inc(stats.cache_hits)
        self.lookup_pairs.labels("miss").inc(stats.distinct_pairs - stats.cache_hits)
        self.model_pairs.inc(stats.model_requests)


class MetricsMiddleware:
    """Counts and times every HTTP request by the template of the route it matched ("unmatched" for none)."""

    def __init__(self, app, metrics: ApiMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes the app is answered 500 by the server

        async def send_and_note_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route, scope["method"]).observe(time.perf_counter() - started)
