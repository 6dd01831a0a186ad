"""Pushed requests as a Dagster resource: their objects under REQUESTS_URI and their keys in Redis."""

from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from enrichment_platform.api.intake import RequestStore
from enrichment_platform.cache.connection import connect
from enrichment_platform.defs.resources.s3 import PostingsStorage
from enrichment_platform.pipeline.pushed import PushedRequest


class PushedRequests(dg.ConfigurableResource):
    """The requests other services push through the HTTP API: one request's objects for its assets, and the
    intake's store (the queue of closed requests, results) for the sensor and the failure hook."""

    storage: PostingsStorage
    redis_url: str
    requests_uri: str

    _store: Any = PrivateAttr(default=None)

    def request(self, erid: str) -> PushedRequest:
        return PushedRequest(self.storage, self.requests_uri, erid)

    def store(self) -> RequestStore:
        if self._store is None:
            client, _ = connect(self.redis_url, socket_connect_timeout=5, socket_timeout=30)
            self._store = RequestStore(self.storage, client, self.redis_url, self.requests_uri)
        return self._store
