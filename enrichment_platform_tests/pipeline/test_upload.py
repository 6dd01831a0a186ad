"""An object written piece by piece on the S3 API endpoint: one PUT when small, else a multipart upload
that is visible only once complete and leaves nothing behind when it fails."""

import boto3
import pytest

from enrichment_platform.defs.resources import default_resources
from enrichment_platform.pipeline.upload import MIN_PART_BYTES

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


@pytest.fixture
def storage(s3_buckets):
    return default_resources()["storage"]


def uploads_in_progress(bucket: str) -> list:
    return boto3.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_a_small_object_is_one_put_with_the_etag_of_a_whole_write(storage, s3_buckets):
    pieces = [b"first line\n", b"", b"second line\n"]

    etag = storage.put_pieces(storage.augmented, "small.jsonl", iter(pieces))

    assert etag == storage.put(storage.augmented, "whole.jsonl", b"".join(pieces))
    assert storage.get(storage.augmented, "small.jsonl", expected_etag=etag) == b"".join(pieces)


def test_a_large_object_is_uploaded_in_parts_and_reads_back_whole(storage, s3_buckets):
    pieces = [bytes([65 + index]) * (3 * MIB) + b"\n" for index in range(5)]  # parts of 6 MiB and a last one

    etag = storage.put_pieces(storage.augmented, "large.jsonl", iter(pieces))

    assert etag.endswith("-3")  # a multipart upload's ETag names its parts
    assert storage.get(storage.augmented, "large.jsonl", expected_etag=etag) == b"".join(pieces)
    assert uploads_in_progress(s3_buckets.bucket) == []


def test_a_failure_while_making_the_pieces_aborts_the_upload_and_leaves_no_object(storage, s3_buckets):
    def pieces():
        yield b"x" * MIN_PART_BYTES  # uploaded as a part
        yield b"y" * 10
        raise ValueError("the staged files disagree")

    with pytest.raises(ValueError, match="disagree"):
        storage.put_pieces(storage.augmented, "failed.jsonl", pieces())

    assert storage.get_if_exists(storage.augmented, "failed.jsonl") is None
    assert uploads_in_progress(s3_buckets.bucket) == []


def test_an_object_read_in_pieces_is_refused_if_it_changed(storage, s3_buckets):
    etag = storage.put(storage.raw, "changed.jsonl", b"one\n")
    storage.put(storage.raw, "changed.jsonl", b"two\n")

    with pytest.raises(Exception, match="changed since it was validated"):
        list(storage.get_pieces(storage.raw, "changed.jsonl", expected_etag=etag))
    with pytest.raises(Exception, match="changed since it was validated"):
        storage.get_unless_larger(storage.raw, "changed.jsonl", etag, 100)
    assert storage.get_unless_larger(storage.raw, "changed.jsonl", "", 2) is None
