"""The local stack of `make demo` and the benchmarks: processes, a private Redis, the S3 API endpoint, the
model server, Dagster's services, and synthetic postings."""
