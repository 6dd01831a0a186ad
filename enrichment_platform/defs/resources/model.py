"""The model client as a Dagster resource: its configuration; the calls are model_client/grpc_client's."""

from typing import Any

import dagster as dg
import numpy as np
from pydantic import Field, PrivateAttr

from enrichment_platform.model_client.grpc_client import ModelClient


class SeniorityModelClient(dg.ConfigurableResource):
    """Client of the seniority model at `target`, paced to `capacity` pairs/s shared by every process that
    uses `rate_limit_redis_url` (0 = unpaced); see `ModelClient`."""

    # The defaults are ModelClient's own, so the two cannot drift apart.
    target: str
    capacity: int = ModelClient.capacity
    rate_limit_redis_url: str = ModelClient.rate_limit_redis_url
    batch_size: int = ModelClient.batch_size
    max_in_flight: int = ModelClient.max_in_flight
    timeout_seconds: float = ModelClient.timeout_seconds
    max_attempts: int = ModelClient.max_attempts
    model_version_override: str = ModelClient.model_version_override
    tls_ca_path: str = Field(
        default="", description="PEM CA of the server's certificate; set: TLS, unset: plaintext"
    )
    tls_cert_path: str = Field(
        default="", description="PEM client certificate for mutual TLS (with tls_key_path)"
    )
    tls_key_path: str = Field(default="", description="PEM private key of the client certificate")

    _client: Any = PrivateAttr(default=None)

    @property
    def client(self) -> ModelClient:
        """The gRPC client of this resource instance, made on first use."""
        if self._client is None:
            self._client = ModelClient(**self.model_dump())
        return self._client

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()

    def model_version(self) -> str:
        """The cache namespace: the configured version, else the server's `x-model-version`, else
        'unversioned'."""
        return self.client.model_version()

    def infer(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Seniority (uint8, 1..7) of each distinct normalized pair, in order."""
        return self.client.infer(pairs)
