"""Readiness of the API's dependencies: Redis answers a ping, S3 a listing of REQUESTS_URI, the model its
gRPC health check; each probe is short, so a probe never hangs on a dead dependency."""

import boto3
import botocore.config
import botocore.exceptions
import redis

from enrichment_platform.cache.connection import redacted_url
from enrichment_platform.model_client.grpc_client import ModelClient
from enrichment_platform.pipeline.locations import S3Location

PROBE_SECONDS = 2.0


class Readiness:
    """Checks the three dependencies; `check()` maps each to "ok" or what is wrong with it."""

    def __init__(self, redis_url: str, requests_uri: str, model: ModelClient):
        self.redis_url = redis_url
        self.location = S3Location.parse(requests_uri)
        self.bucket = self.location.bucket
        self.model = model  # asked over its own channel: with the TLS settings the lookups use
        # Not the storage's client: that one retries for tens of seconds, a probe must answer at once.
        self.s3 = boto3.client(
            "s3",
            config=botocore.config.Config(
                connect_timeout=PROBE_SECONDS, read_timeout=PROBE_SECONDS, retries={"max_attempts": 1}
            ),
        )

    def check(self) -> dict[str, str]:
        return {"redis": self._redis(), "s3": self._s3(), "model": self._model()}

    def _redis(self) -> str:
        client = redis.Redis.from_url(
            self.redis_url, socket_connect_timeout=PROBE_SECONDS, socket_timeout=PROBE_SECONDS
        )
        try:
            client.ping()
            return "ok"
        except redis.RedisError as error:
            return f"no answer from {redacted_url(self.redis_url)}: {error}"
        finally:
            client.close()

    def _s3(self) -> str:
        try:
            # One key under the prefix: what a task policy scoping s3:ListBucket to its prefixes allows (a
            # HEAD of the bucket needs ListBucket on the whole bucket).
            self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.location.prefix, MaxKeys=1)
            return "ok"
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            return f"{self.location.uri} (REQUESTS_URI) cannot be listed: {error}"

    def _model(self) -> str:
        status = self.model.health_status(timeout=PROBE_SECONDS)
        if status == "SERVING":
            return "ok"
        return f"model at {self.model.target} is {status or 'not answering'} (grpc.health.v1)"
