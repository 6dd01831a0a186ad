"""Writing one S3 object from pieces made one after another, never holding it whole: a multipart upload
that S3 makes visible only when it is completed, and aborts on any failure, so no partial object is ever
seen. An object smaller than one part is written in one PUT, as a whole-file write would."""

from collections.abc import Iterable
from typing import Any

from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.pipeline.storage import s3_errors

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's least part size (but for the last part)
MAX_PARTS = 10_000  # S3's most parts of one upload


def upload_pieces(
    client: Any, location: S3Location, name: str, pieces: Iterable[bytes], content_type: str
) -> str:
    """Write the concatenation of `pieces` as the object `name`, in parts of at least MIN_PART_BYTES; its
    ETag. Any failure, of S3 or of making the pieces, aborts the upload and is raised."""
    bucket, key = location.bucket, location.key(name)
    buffered: list[bytes] = []
    buffered_bytes = 0
    upload_id = ""
    parts: list[dict] = []

    def upload_part() -> None:
        if len(parts) == MAX_PARTS:
            raise ValueError(
                f"s3://{bucket}/{key} needs more than {MAX_PARTS} parts: raise ENRICHMENT_CHUNK_BYTES"
            )
        with s3_errors("upload part of", location, name):
            response = client.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=len(parts) + 1,
                Body=b"".join(buffered),
            )
        parts.append({"PartNumber": len(parts) + 1, "ETag": response["ETag"]})

    try:
        for piece in pieces:
            buffered.append(piece)
            buffered_bytes += len(piece)
            if buffered_bytes < MIN_PART_BYTES:
                continue
            if not upload_id:
                with s3_errors("start upload of", location, name):
                    upload_id = client.create_multipart_upload(
                        Bucket=bucket, Key=key, ContentType=content_type
                    )["UploadId"]
            upload_part()
            buffered, buffered_bytes = [], 0
        if not upload_id:
            with s3_errors("put", location, name):
                response = client.put_object(
                    Bucket=bucket, Key=key, Body=b"".join(buffered), ContentType=content_type
                )
            return response["ETag"].strip('"')
        if buffered:
            upload_part()
        with s3_errors("complete upload of", location, name):
            response = client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        return response["ETag"].strip('"')
    except BaseException as error:
        if upload_id:
            _abort(client, location, name, upload_id, error)
        raise


def _abort(client: Any, location: S3Location, name: str, upload_id: str, error: BaseException) -> None:
    """Drop an upload's parts (never visible as an object, but kept and billed until aborted); a failure to
    is noted on the first error."""
    try:
        with s3_errors("abort upload of", location, name):
            client.abort_multipart_upload(Bucket=location.bucket, Key=location.key(name), UploadId=upload_id)
    except Exception as abort_error:
        error.add_note(f"aborting the multipart upload failed too: {abort_error}")
