"""What the per-file loop needs of S3: the errors that tell one object's failure from S3's as a whole, the
names of manifests and dead letters, and the reads and writes it makes (the storage resource provides them).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, Protocol

import botocore.exceptions

from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.pipeline.manifest import Manifest

MANIFEST_NAME = "_manifest.json"
DEAD_LETTER_SUFFIX = ".json"


class S3AccessError(RuntimeError):
    """S3 refused a request for one key (the object is missing, archived, forbidden or changed)."""


class S3UnavailableError(S3AccessError):
    """S3 as a whole failed: unreachable, throttling or erring after the client's retries, a missing bucket or
    bad credentials (infrastructure: the step fails and Dagster retries it)."""


# Codes S3 gives for the service, the bucket or the caller as a whole, never for one object alone.
SERVICE_WIDE_CODES = {
    "NoSuchBucket",
    "AllAccessDisabled",
    "AccountProblem",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "RequestTimeTooSkewed",
    "RequestTimeout",
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ServiceUnavailable",
    "InternalError",
}
# The IAM action S3 authorizes a call by, where it is not "s3:" + the call's name.
IAM_ACTION_OF_CALL = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
}


def _service_wide(error: Exception) -> bool:
    if not isinstance(error, botocore.exceptions.ClientError):
        return True  # no answer from S3 at all: endpoint, connection, timeout, credentials
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status >= 500 or error.response.get("Error", {}).get("Code") in SERVICE_WIDE_CODES


@contextmanager
def s3_errors(action: str, location: S3Location, name: str = "") -> Iterator[None]:
    """Turn botocore failures into one error that says what was attempted where, and whether S3 as a whole
    (S3UnavailableError) or this one object (S3AccessError) failed."""
    try:
        yield
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        where = (
            f"S3 {action} failed for s3://{location.bucket}/{location.key(name)}: {str(error).rstrip('.')}."
        )
        if _service_wide(error):
            raise S3UnavailableError(
                f"{where} Check AWS_ENDPOINT_URL, credentials and that the bucket exists; throttling and "
                "errors of S3 itself were already retried (ENRICHMENT_S3_MAX_ATTEMPTS), Dagster retries the "
                "step."
            ) from error
        if error.response.get("Error", {}).get("Code") == "AccessDenied":
            iam_action = IAM_ACTION_OF_CALL.get(error.operation_name, f"s3:{error.operation_name}")
            raise S3AccessError(
                f"{where} IAM denied {iam_action}: grant it to the platform's role for this location "
                "(resources/deploy/iam-policy.json)."
            ) from error
        raise S3AccessError(
            f"{where} S3 refused it for this key; check the object and its permissions."
        ) from error


class PipelineStorage(Protocol):
    """The S3 reads and writes of the per-file loop and the hand-off between steps."""

    @property
    def raw(self) -> S3Location: ...

    def get(self, location: S3Location, name: str, expected_etag: str = "") -> bytes: ...

    def get_unless_larger(
        self, location: S3Location, name: str, expected_etag: str, limit: int
    ) -> bytes | None: ...

    def get_pieces(self, location: S3Location, name: str, expected_etag: str = "") -> Iterator[bytes]: ...

    def get_range(self, location: S3Location, name: str, offset: int, length: int) -> bytes: ...

    def put(
        self,
        location: S3Location,
        name: str,
        data: bytes | BinaryIO,
        content_type: str = "application/x-ndjson",
    ) -> str: ...

    def delete(self, location: S3Location, name: str) -> None: ...

    def read_manifest(self, asset_name: str, partition_key: str) -> Manifest: ...

    def write_manifest(self, asset_name: str, partition_key: str, manifest: Manifest) -> None: ...

    def dead_letters(self, asset_name: str, partition_key: str) -> S3Location: ...

    def dead_lettered_files(self, asset_name: str, partition_key: str) -> list[str]: ...
