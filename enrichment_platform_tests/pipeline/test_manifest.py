from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.pipeline.manifest import Manifest


def test_only_new_or_changed_inputs_are_pending():
    manifest = Manifest()
    manifest.record("1.jsonl", "etag-a", lines=3)
    manifest.record("2.jsonl", "etag-b", lines=4)
    sources = {"1.jsonl": "etag-a", "2.jsonl": "etag-B", "3.jsonl": "etag-c"}
    assert manifest.pending(sources) == ["2.jsonl", "3.jsonl"]
    assert manifest.pending(sources, full_refresh=True) == ["1.jsonl", "2.jsonl", "3.jsonl"]


def test_manifest_round_trips_and_totals():
    manifest = Manifest()
    manifest.record("1.jsonl", "e", valid=3)
    manifest.record("2.jsonl", "f", valid=4)
    again = Manifest.from_bytes(manifest.to_bytes())
    assert again.files == manifest.files and again.total("valid") == 7
    assert Manifest.from_bytes(None).files == {}


def test_s3_location_parsing():
    location = S3Location.parse("s3://rl-data/job-postings-raw")
    assert (location.bucket, location.prefix) == ("rl-data", "job-postings-raw/")
    assert location.key("1.jsonl") == "job-postings-raw/1.jsonl"
    assert location.child("raw", "2024-07-17").uri == "s3://rl-data/job-postings-raw/raw/2024-07-17/"
    assert S3Location.parse("s3://bucket").prefix == ""
