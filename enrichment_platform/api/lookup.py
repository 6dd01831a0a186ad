"""Seniority of a few pairs for online callers, synchronously: the batch flow's engine on one call's pairs
(normalize and dedupe, the Redis cache with single flight, the model at the shared capacity for the
misses)."""

import threading
import time
import uuid
from functools import partial

from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.pipeline.augment import AugmentStats, distinct_pairs, seniority_of_pairs

MAX_PAIRS = 1_000  # pairs per call
# The model version names the cache namespace; it is asked of the server again after this long, so a new
# model version is picked up without a restart.
NAMESPACE_SECONDS = 60.0


class SeniorityLookup:
    """Levels of (company, title) pairs, equal to the ones the batch flow gives the same pairs."""

    def __init__(self, cache: SeniorityCache, model: SeniorityModelClient):
        self.cache = cache
        self.model = model
        self._lock = threading.Lock()
        self._namespace = ("", 0.0)

    def namespace(self) -> str:
        """The cache namespace (the model version), read again every NAMESPACE_SECONDS; the first call also
        opens the Redis client and the gRPC channel, once for every thread."""
        with self._lock:
            name, read_at = self._namespace
            if not name or time.monotonic() - read_at > NAMESPACE_SECONDS:
                self.cache.ping()
                self._namespace = (self.model.model_version(), time.monotonic())
            return self._namespace[0]

    def levels(self, pairs: list[tuple[str, str]]) -> tuple[list[int], AugmentStats]:
        """One level per pair, in order, and what answering cost (distinct pairs, cache hits, model pairs)."""
        if not pairs:
            return [], AugmentStats()
        namespace = self.namespace()
        distinct = distinct_pairs([company for company, _ in pairs], [title for _, title in pairs])
        owner = f"api-{uuid.uuid4().hex[:12]}"  # this call's claims: concurrent calls and runs wait for them
        levels, stats = seniority_of_pairs(
            distinct,
            lookup=partial(self.cache.lookup_and_claim, namespace, owner=owner),
            infer=self.model.infer,
            store=partial(self.cache.store, namespace),
            release=partial(self.cache.release, namespace, owner=owner),
        )
        return levels.tolist(), stats
