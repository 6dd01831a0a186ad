"""Where postings live in S3 as a Dagster resource: the raw, augmented, quarantine and staging prefixes,
and the reads and writes on them."""

import time
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import boto3
import dagster as dg
from botocore.config import Config
from dagster_aws.s3 import S3Resource
from dagster_aws.s3.utils import construct_boto_client_retry_config, disable_signing
from pydantic import PrivateAttr

from enrichment_platform.arrivals.file_names import day_bounds, partition_key_for_file
from enrichment_platform.pipeline.chunks import READ_PIECE_BYTES
from enrichment_platform.pipeline.incremental import files_in_flight
from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.pipeline.manifest import Manifest
from enrichment_platform.pipeline.storage import DEAD_LETTER_SUFFIX, MANIFEST_NAME, S3AccessError, s3_errors
from enrichment_platform.pipeline.upload import upload_pieces

# Connections beyond the files in flight: the step's own requests (manifests, staging) beside theirs.
STEP_CONNECTIONS = 4


def s3_client(s3: S3Resource, connections: int) -> Any:
    """The S3 client S3Resource.get_client makes, with a pool of `connections` (botocore keeps 10 and would
    open and drop a connection for each request beyond them)."""
    session = boto3.session.Session(profile_name=s3.profile_name)
    retries = construct_boto_client_retry_config(s3.max_attempts)
    config = retries.merge(Config(max_pool_connections=connections))
    client = session.client(
        "s3",
        region_name=s3.region_name,
        use_ssl=s3.use_ssl,
        verify=s3.verify,
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=s3.aws_access_key_id,
        aws_secret_access_key=s3.aws_secret_access_key,
        aws_session_token=s3.aws_session_token,
        config=config,
    )
    if s3.use_unsigned_session:
        client.meta.events.register("choose-signer.s3.*", disable_signing)
    return client


class PostingsStorage(dg.ConfigurableResource):
    """The four S3 prefixes of the configuration and paginated, error-checked access to them."""

    s3: S3Resource
    raw_uri: str
    augmented_uri: str
    quarantine_uri: str
    staging_uri: str

    _client: Any = PrivateAttr(default=None)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client(self.s3, files_in_flight() + STEP_CONNECTIONS)
        return self._client

    @property
    def raw(self) -> S3Location:
        return S3Location.parse(self.raw_uri)

    @property
    def augmented(self) -> S3Location:
        return S3Location.parse(self.augmented_uri)

    @property
    def quarantine(self) -> S3Location:
        return S3Location.parse(self.quarantine_uri)

    def staging(self, asset_name: str, partition_key: str) -> S3Location:
        return S3Location.parse(self.staging_uri).child(asset_name, partition_key)

    def dead_letters(self, asset_name: str, partition_key: str) -> S3Location:
        """Where an asset records the files of a partition it set aside, one `<file>.json` each."""
        return S3Location.parse(self.staging_uri).child("dead-letter", asset_name, partition_key)

    def dead_lettered_files(self, asset_name: str, partition_key: str) -> list[str]:
        """Names of the files an asset has dead-lettered for a partition and not processed since."""
        return [
            name.removesuffix(DEAD_LETTER_SUFFIX)
            for name, _ in self.list_objects(self.dead_letters(asset_name, partition_key))
        ]

    def list_objects(
        self, location: S3Location, start_after: str = "", stop_at: str = ""
    ) -> Iterator[tuple[str, str]]:
        """(name, ETag) of every object directly under a prefix, in key order, from after `start_after`
        up to (excluding) `stop_at`; paginated, so correct beyond 1,000 keys."""
        arguments = {"Bucket": location.bucket, "Prefix": location.prefix}
        if start_after:
            arguments["StartAfter"] = location.key(start_after)
        for name, item in self._listing(location, arguments):
            if stop_at and name >= stop_at:
                return
            yield name, item["ETag"].strip('"')

    def _listing(self, location: S3Location, arguments: dict) -> Iterator[tuple[str, dict]]:
        paginator = self.client.get_paginator("list_objects_v2")
        with s3_errors("list", location):
            for page in paginator.paginate(**arguments):
                for item in page.get("Contents", ()):
                    name = item["Key"][len(location.prefix) :]
                    if "/" not in name:
                        yield name, item

    def names_older_than(self, location: S3Location, seconds: float) -> list[str]:
        """Names of the objects directly under a prefix that were last written more than `seconds` ago."""
        cutoff = time.time() - seconds
        listing = self._listing(location, {"Bucket": location.bucket, "Prefix": location.prefix})
        return [name for name, item in listing if item["LastModified"].timestamp() < cutoff]

    def files_of_day(self, location: S3Location, partition_key: str) -> dict[str, str]:
        """Name -> ETag of the `<unix seconds>.jsonl` objects under a prefix dated on a partition's day."""
        start, end = day_bounds(partition_key)
        # Timestamps with as many digits sort as numbers, so one bounded listing covers the day (the day a
        # timestamp gains a digit, 2001-09-09 and 2286-11-20, is listed whole).
        bounded = len(str(start)) == len(str(end))
        listing = (
            self.list_objects(location, start_after=str(start), stop_at=str(end))
            if bounded
            else self.list_objects(location)
        )
        return {name: etag for name, etag in listing if partition_key_for_file(name) == partition_key}

    def get(self, location: S3Location, name: str, expected_etag: str = "") -> bytes:
        """An object's bytes; with `expected_etag`, refuse a version other than the one recorded."""
        with s3_errors("get", location, name):
            response = self.client.get_object(Bucket=location.bucket, Key=location.key(name))
            data = response["Body"].read()
        _refuse_other_version(response, location, name, expected_etag)
        return data

    def get_unless_larger(
        self, location: S3Location, name: str, expected_etag: str, limit: int
    ) -> bytes | None:
        """`get`, or None without reading the body when the object is larger than `limit` bytes (one GET
        either way)."""
        with s3_errors("get", location, name):
            response = self.client.get_object(Bucket=location.bucket, Key=location.key(name))
            if response["ContentLength"] > limit:
                response["Body"].close()  # unread: its connection is dropped, not reused
            else:
                data = response["Body"].read()
        _refuse_other_version(response, location, name, expected_etag)
        return None if response["ContentLength"] > limit else data

    def get_pieces(self, location: S3Location, name: str, expected_etag: str = "") -> Iterator[bytes]:
        """`get` read from the connection a piece at a time, for an object too large to hold at once."""
        with s3_errors("get", location, name):
            response = self.client.get_object(Bucket=location.bucket, Key=location.key(name))
            try:
                _refuse_other_version(response, location, name, expected_etag)
                yield from response["Body"].iter_chunks(READ_PIECE_BYTES)
            finally:
                response["Body"].close()

    def put_pieces(
        self,
        location: S3Location,
        name: str,
        pieces: Iterable[bytes],
        content_type: str = "application/x-ndjson",
    ) -> str:
        """Write one object made piece by piece, visible only once complete (pipeline/upload.py); its ETag."""
        return upload_pieces(self.client, location, name, pieces, content_type)

    def get_range(self, location: S3Location, name: str, offset: int, length: int) -> bytes:
        """`length` bytes of an object from `offset` (a ranged GET)."""
        if length == 0:
            return b""
        with s3_errors("get", location, name):
            response = self.client.get_object(
                Bucket=location.bucket, Key=location.key(name), Range=f"bytes={offset}-{offset + length - 1}"
            )
            data = response["Body"].read()
        if len(data) != length:
            raise S3AccessError(
                f"s3://{location.bucket}/{location.key(name)}: {len(data)} bytes at {offset}, "
                f"expected {length}"
            )
        return data

    def get_if_exists(self, location: S3Location, name: str) -> bytes | None:
        """An object's bytes, or None when there is no such object."""
        with s3_errors("get", location, name):
            try:
                return self.client.get_object(Bucket=location.bucket, Key=location.key(name))["Body"].read()
            except self.client.exceptions.NoSuchKey:
                return None

    def put(
        self,
        location: S3Location,
        name: str,
        data: bytes | BinaryIO,
        content_type: str = "application/x-ndjson",
    ) -> str:
        """Write one whole object, bytes or a file (S3 makes it visible only once complete); its ETag."""
        with s3_errors("put", location, name):
            response = self.client.put_object(
                Bucket=location.bucket, Key=location.key(name), Body=data, ContentType=content_type
            )
        return response["ETag"].strip('"')

    def delete(self, location: S3Location, name: str) -> None:
        with s3_errors("delete", location, name):
            self.client.delete_object(Bucket=location.bucket, Key=location.key(name))

    def read_manifest(self, asset_name: str, partition_key: str) -> Manifest:
        return Manifest.from_bytes(self.get_if_exists(self.staging(asset_name, partition_key), MANIFEST_NAME))

    def write_manifest(self, asset_name: str, partition_key: str, manifest: Manifest) -> None:
        self.put(
            self.staging(asset_name, partition_key), MANIFEST_NAME, manifest.to_bytes(), "application/json"
        )


def _refuse_other_version(response: dict, location: S3Location, name: str, expected_etag: str) -> None:
    etag = response["ETag"].strip('"')
    if expected_etag and etag != expected_etag:
        raise S3AccessError(
            f"s3://{location.bucket}/{location.key(name)} changed since it was validated "
            f"(ETag {expected_etag} is now {etag}); materialize the partition again so that "
            "raw_job_postings validates it anew"
        )
