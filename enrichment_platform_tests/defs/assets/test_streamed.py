"""A raw file larger than ENRICHMENT_CHUNK_BYTES through the real flow, a chunk at a time: the same outputs,
quarantine objects, manifest facts and warehouse inputs as when it is processed whole."""

import dagster as dg
import orjson
import pytest
import redis

from enrichment_platform.defs.assets import exported, warehouse
from enrichment_platform.defs.assets.augmented import ASSET_NAME as AUGMENTED
from enrichment_platform.defs.assets.exported import ASSET_NAME as EXPORTED
from enrichment_platform.defs.assets.raw import ASSET_NAME as RAW_ASSET
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.pipeline.hand_off import EXPORTED as EXPORTED_STAGE
from enrichment_platform.pipeline.hand_off import QUARANTINE as QUARANTINE_STAGE
from enrichment_platform.pipeline.hand_off import RAW as RAW_STAGE
from enrichment_platform_tests.support.harness import (
    FLOW,
    failure_messages,
    materialization_metadata,
    run_flow,
)

pytestmark = pytest.mark.integration

DAY, T0 = "2024-07-17", 1721174400
RAW, OUT, QUARANTINE = "job-postings-raw", "job-postings-mod", "job-postings-quarantine"
BIG, SMALL = f"{T0 + 10}.jsonl", f"{T0 + 70}.jsonl"
COMPANIES = ["Acme Corp", "ACME  CORP", "Globex", "Initech", "Ｉｎｉｔｅｃｈ"]
TITLES = ["Senior Data Engineer", "senior data  engineer", "Accounting Intern", "Head of Legal", "CEO"]
BAD_LINES = [
    b'{"company": "Acme", "title": ',
    b'{"company": "Acme", "title": "   "}',
    b'{"company": "Acme", "title": "Clerk \xff"}',
    b"[1, 2]",
    b"\xef\xbb\xbf" + b'{"company": "BOM", "title": "Mid-file mark"}',  # a mark not at the file's start
    b'{"title": "No Company"}',
]


def big_file() -> bytes:
    """A few hundred lines: urls repeated far apart (across chunks), blank and bad lines, CRLF endings, urls
    that are not strings, a long line, a byte order mark at the start and no final newline."""
    lines = []
    for n in range(300):
        posting = {
            "url": f"https://x.example/job/{n % 97}/",
            "company": COMPANIES[n % len(COMPANIES)],
            "title": TITLES[n % 7 % len(TITLES)] + ("" if n % 3 else f" {n % 11}"),
            "location": None if n % 13 == 0 else "NY",
            "scraped_on": T0,
        }
        if n % 50 == 7:
            posting["url"] = [1, True, 1.0, None][n % 4]
        if n % 41 == 5:
            posting["description"] = "long " * 80
        line = orjson.dumps(posting)
        lines.append(line + b"\r" if n % 17 == 3 else line)
        if n % 23 == 11:
            lines.append(b"" if n % 2 else b"   ")
        if n % 29 == 13:
            lines.append(BAD_LINES[n % len(BAD_LINES)])
    return b"\xef\xbb\xbf" + b"\n".join(lines)


def small_file() -> bytes:
    return orjson.dumps({"url": "https://y.example/1", "company": "Umbrella", "title": "Chemist"}) + b"\n"


class WarehouseInputs:
    """What the warehouse step found in its run's stage for each file (None: not staged, read from S3)."""

    def __init__(self, monkeypatch):
        self.found: dict[str, tuple] = {}
        real = warehouse.warehouse_inputs

        def recording(stage, storage, name, raw_etag, quarantined, output_etag):
            self.found[name] = (
                stage.read(RAW_STAGE, name, raw_etag),
                stage.read(QUARANTINE_STAGE, name, raw_etag),
                stage.read(EXPORTED_STAGE, name, output_etag),
            )
            return real(stage, storage, name, raw_etag, quarantined, output_etag)

        monkeypatch.setattr(warehouse, "warehouse_inputs", recording)


def run_from_scratch(instance, redis_url: str):
    """A full refresh of the flow, the warehouse and the checks, on an empty cache."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()
    return run_flow(instance, DAY, full_refresh=True, warehouse=True)


def check_outcomes(result) -> dict:
    return {
        (check.asset_key.to_user_string(), check.check_name): (check.passed, check.metadata)
        for check in result.get_asset_check_evaluations()
    }


def outcome(bucket, storage, inputs: WarehouseInputs) -> dict:
    """Everything a run leaves that must not depend on how the files were read."""
    augmented_entries = {
        name: {
            fact: value
            for fact, value in entry.items()
            if fact not in ("staged", "offset") and not fact.startswith("seconds")
        }
        for name, entry in storage.read_manifest(AUGMENTED, DAY).files.items()
    }
    return {
        "outputs": {name: bucket.get(OUT, name) for name in bucket.names(OUT)},
        "quarantine": {name: bucket.get(QUARANTINE, name) for name in bucket.names(QUARANTINE)},
        "raw manifest": storage.read_manifest(RAW_ASSET, DAY).files,
        "augmented manifest": augmented_entries,
        "exported manifest": storage.read_manifest(EXPORTED, DAY).files,
        "warehouse inputs": dict(inputs.found),
    }


def test_a_file_larger_than_a_chunk_gives_what_the_whole_file_gives(
    bucket, instance, clean_redis, monkeypatch, tmp_path
):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    monkeypatch.setenv("ENRICHMENT_FILES_IN_FLIGHT", "1")  # cache hits do not depend on which file went first
    bucket.put(RAW, BIG, big_file())
    bucket.put(RAW, SMALL, small_file())
    storage = default_resources()["storage"]
    inputs = WarehouseInputs(monkeypatch)

    whole = run_from_scratch(instance, clean_redis)
    assert whole.success, failure_messages(whole)
    expected = outcome(bucket, storage, inputs)

    raw_facts = expected["raw manifest"][BIG]
    assert raw_facts["quarantined"] == 10 and raw_facts["blank"] == 13
    assert raw_facts["duplicate_urls"] > 150  # 97 distinct string urls repeated far apart in the file
    staged = {
        name: [data is not None for data in found] for name, found in expected["warehouse inputs"].items()
    }
    assert staged == {BIG: [True, True, True], SMALL: [True, False, True]}  # read from the stage, not S3
    assert expected["warehouse inputs"][BIG][1] == expected["quarantine"][BIG]
    for chunk in ("1", "40", "200"):
        inputs.found.clear()
        monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", chunk)
        streamed = run_from_scratch(instance, clean_redis)
        assert streamed.success, failure_messages(streamed)
        assert outcome(bucket, storage, inputs) == expected, f"chunks of {chunk} bytes"
        assert check_outcomes(streamed) == check_outcomes(whole)
    assert not list(tmp_path.rglob("*.jsonl.*"))  # no part, partial or count left behind


def test_a_step_running_elsewhere_rebuilds_a_big_files_parts_from_s3(
    bucket, instance, clean_redis, monkeypatch, tmp_path
):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    bucket.put(RAW, BIG, big_file())
    whole = run_flow(instance, DAY)
    assert whole.success, failure_messages(whole)
    expected = bucket.get(OUT, BIG), bucket.get(QUARANTINE, BIG)

    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", "64")
    for asset in FLOW:  # each step in a run of its own: none finds the earlier step's stage
        result = dg.materialize(
            FLOW,
            selection=[asset],
            partition_key=DAY,
            resources=default_resources(),
            instance=instance,
            run_config={"ops": {asset.op.name: {"config": {"full_refresh": True}}}},
            raise_on_error=False,
        )
        assert result.success, failure_messages(result)

    assert (bucket.get(OUT, BIG), bucket.get(QUARANTINE, BIG)) == expected


def test_a_failed_export_of_a_big_file_leaves_no_output_object(
    bucket, instance, clean_redis, monkeypatch, tmp_path
):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", "40")
    monkeypatch.setattr("enrichment_platform.pipeline.upload.MIN_PART_BYTES", 1000)  # several parts
    real = exported.filled_parts

    def failing_half_way(*arguments):
        for index, part in enumerate(real(*arguments)):
            if index == 60:
                raise OSError("disk failed while reading a staged part")
            yield part

    monkeypatch.setattr(exported, "filled_parts", failing_half_way)
    bucket.put(RAW, BIG, big_file())

    result = run_flow(instance, DAY)

    metadata = materialization_metadata(result, exported.exported_job_postings)
    assert metadata["dead_lettered_files"] == 1  # every attempt failed half way
    assert "disk failed" in metadata["dead_letters"]
    assert bucket.names(OUT) == []
    assert bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", []) == []
