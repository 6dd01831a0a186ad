"""S3 URIs (`s3://bucket/prefix/`) as bucket and key prefix."""

from dataclasses import dataclass


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix ending in '/' (or empty)."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, uri: str) -> "S3Location":
        if not uri.startswith("s3://") or len(uri) <= len("s3://"):
            raise ValueError(f"not an S3 URI: {uri!r}; expected s3://bucket/prefix/")
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(bucket=bucket, prefix=prefix)

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def child(self, *parts: str) -> "S3Location":
        return S3Location(self.bucket, self.prefix + "".join(f"{part}/" for part in parts))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"
