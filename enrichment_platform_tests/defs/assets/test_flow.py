"""The whole flow on real services: S3 API endpoint (moto server), Redis, the gRPC model server."""

import orjson
import pytest

from enrichment_platform.defs.assets.augmented import seniority_augmented_postings
from enrichment_platform.defs.assets.exported import exported_job_postings
from enrichment_platform.defs.assets.raw import raw_job_postings
from enrichment_platform.postings.normalize import normalize_pair
from enrichment_platform_tests.support.harness import materialization_metadata, run_flow

pytestmark = pytest.mark.integration

DAY = "2024-07-17"
T0 = 1721174400
RAW, OUT, QUARANTINE = "job-postings-raw", "job-postings-mod", "job-postings-quarantine"


def posting(company, title, n=1):
    return orjson.dumps(
        {
            "url": f"https://x.example/job/{n}/",
            "company": company,
            "title": title,
            "location": "NY",
            "scraped_on": T0,
        }
    )


FILE_A = (
    b"\n".join(
        [
            posting("Acme Corp", "Senior Data Engineer", 1),
            b"",
            posting("ACME  CORP", "senior data engineer", 2),
            b'{"company": "Acme", "title": ',
            posting("Acme Corp", "Chief Executive Officer", 3),
            b'{"company": "Acme", "title": "   "}',
            b'{"company": "Acme", "title": "Clerk \xff"}',
            posting("Globex", "Accounting Intern", 4),
        ]
    )
    + b"\n"
)
FILE_B = b"\n".join(
    [posting("Ａｃｍｅ Corp", "Senior Data  Engineer", 5), posting("Initech", "Head of Legal", 6)]
)


def lines(data: bytes) -> list[bytes]:
    return data.splitlines()


def test_flow_outputs_quarantine_checks_and_metadata(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    bucket.put(RAW, f"{T0 + 70}.jsonl", FILE_B)
    bucket.put(RAW, f"{T0 - 5}.jsonl", posting("Other", "Day Before"))  # 2024-07-16: not this partition

    result = run_flow(instance, DAY)

    assert result.success
    assert bucket.names(OUT) == [f"{T0 + 10}.jsonl", f"{T0 + 70}.jsonl"]
    out_a = lines(bucket.get(OUT, f"{T0 + 10}.jsonl"))
    valid_a = [line for line in lines(FILE_A) if line.startswith(b'{"url"')]
    assert len(out_a) == len(valid_a) == 4
    for original, augmented in zip(valid_a, out_a):
        assert augmented.startswith(original[:-1])  # every original byte, in order
        record = orjson.loads(augmented)
        assert {**orjson.loads(original), "seniority": record["seniority"]} == record
        assert 1 <= record["seniority"] <= 7
    assert orjson.loads(out_a[0])["seniority"] == orjson.loads(out_a[1])["seniority"]  # spelling variants

    quarantined = [orjson.loads(line) for line in lines(bucket.get(QUARANTINE, f"{T0 + 10}.jsonl"))]
    assert [(q["line"], q["error"].split(":")[0]) for q in quarantined] == [
        (4, "invalid JSON"),
        (6, "field 'title' is empty"),
        (7, "invalid UTF-8"),
    ]
    assert quarantined[2]["raw"].endswith('"Clerk \ufffd"}')
    assert bucket.names(QUARANTINE) == [f"{T0 + 10}.jsonl"]  # FILE_B had no bad lines

    checks = {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}
    assert checks == {
        "conservation": True,
        "seniority_in_range": True,
        "one_output_per_input": True,
        "no_dead_lettered_files": True,
        "raw_schema_completeness": True,
        "duplicate_url_rate": True,
        "raw_freshness": True,
        "seniority_distribution_drift": True,
    }

    raw_meta = materialization_metadata(result, raw_job_postings)
    assert (
        raw_meta["lines"],
        raw_meta["blank_lines"],
        raw_meta["valid_lines"],
        raw_meta["quarantined_lines"],
    ) == (10, 1, 6, 3)
    augmented_meta = materialization_metadata(result, seniority_augmented_postings)
    distinct = {
        normalize_pair(*pair)
        for pair in [
            ("Acme Corp", "Senior Data Engineer"),
            ("Acme Corp", "Chief Executive Officer"),
            ("Globex", "Accounting Intern"),
            ("Initech", "Head of Legal"),
        ]
    }
    assert augmented_meta["model_requests"] == len(distinct) == 4
    # File B's fullwidth spelling was cached by file A, or claimed by it while both were in flight.
    assert augmented_meta["cache_hits"] + augmented_meta["pairs_waited_for"] == 1
    assert materialization_metadata(result, exported_job_postings)["lines_written"] == 6
    # The tests' Redis keeps nothing on disk: the run says so (a restart would empty the cache).
    assert augmented_meta["redis_durability"].startswith("no persistence")


def test_rerun_produces_identical_output_and_asks_the_model_nothing(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    assert run_flow(instance, DAY).success
    first = {name: bucket.get(OUT, name) for name in bucket.names(OUT)}

    incremental = run_flow(instance, DAY)
    assert materialization_metadata(incremental, raw_job_postings)["files_processed"] == 0
    refreshed = run_flow(instance, DAY, full_refresh=True)
    assert refreshed.success
    assert materialization_metadata(refreshed, seniority_augmented_postings)["files_processed"] == 1
    assert materialization_metadata(refreshed, seniority_augmented_postings)["model_requests"] == 0
    assert {name: bucket.get(OUT, name) for name in bucket.names(OUT)} == first


PLOTTED = {
    raw_job_postings: ("lines", "blank_lines", "valid_lines", "quarantined_lines"),
    seniority_augmented_postings: (
        "lines",
        "pairs_looked_up",
        "cache_hits",
        "model_requests",
        "pairs_waited_for",
        "cache_hit_rate",
    ),
    exported_job_postings: ("lines_written",),
}


def test_a_rerun_that_finds_nothing_new_plots_the_partition_as_it_stands(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    first = run_flow(instance, DAY)
    again = run_flow(instance, DAY)
    for asset, names in PLOTTED.items():
        before, after = materialization_metadata(first, asset), materialization_metadata(again, asset)
        assert {name: after[name] for name in names} == {name: before[name] for name in names}, asset.key
        assert before["lines" if "lines" in names else "lines_written"] > 0
        assert all(after[f"run_{name}"] == 0 for name in names), asset.key  # this run did nothing
        assert all(before[f"run_{name}"] == before[name] for name in names), asset.key


def test_new_file_in_a_processed_date_is_the_only_one_processed(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    assert run_flow(instance, DAY).success
    bucket.put(RAW, f"{T0 + 70}.jsonl", FILE_B)

    result = run_flow(instance, DAY)

    for asset in (raw_job_postings, seniority_augmented_postings, exported_job_postings):
        meta = materialization_metadata(result, asset)
        assert (meta["files_processed"], meta["files_in_partition"]) == (1, 2), asset.key
    assert (
        materialization_metadata(result, seniority_augmented_postings)["run_model_requests"] == 1
    )  # Head of Legal


def test_a_pair_in_many_files_is_read_from_redis_once_and_then_answered_from_memory(
    bucket, instance, monkeypatch
):
    monkeypatch.setattr(
        "enrichment_platform.cache.known_levels.MIN_MERGE", 1
    )  # learnt levels visible at once
    for n in range(6):
        bucket.put(RAW, f"{T0 + 10 + n}.jsonl", posting("Acme Corp", "Senior Data Engineer", n))

    result = run_flow(instance, DAY)

    assert result.success
    meta = materialization_metadata(result, seniority_augmented_postings)
    assert meta["model_requests"] == 1
    assert meta["cache_hits"] + meta["pairs_waited_for"] == 5
    # Files in flight with the first one may read the level from Redis before it is remembered; not all.
    assert meta["cache_hits_in_memory"] >= 1
    outputs = {orjson.loads(bucket.get(OUT, f"{T0 + 10 + n}.jsonl"))["seniority"] for n in range(6)}
    assert len(outputs) == 1


def test_file_of_only_bad_and_blank_lines_gets_an_empty_output(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", b"\n{bad\n\n[1]\n")
    result = run_flow(instance, DAY)
    assert result.success
    assert bucket.get(OUT, f"{T0 + 10}.jsonl") == b""
    assert len(lines(bucket.get(QUARANTINE, f"{T0 + 10}.jsonl"))) == 2


def test_empty_partition_succeeds_with_nothing_written(bucket, instance):
    result = run_flow(instance, DAY)
    assert result.success
    assert bucket.names(OUT) == []


def run_assets(instance, assets, partition_key=DAY):
    from dagster import materialize

    from enrichment_platform.defs.resources import default_resources
    from enrichment_platform_tests.support.harness import CHECKS, FLOW

    return materialize(
        [*FLOW, *CHECKS],
        selection=assets,
        partition_key=partition_key,
        resources=default_resources(),
        instance=instance,
        raise_on_error=False,
    )


def test_steps_in_separate_runs_rebuild_their_inputs_from_s3(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    assert run_assets(instance, [raw_job_postings]).success
    assert run_assets(instance, [seniority_augmented_postings]).success  # another run: no local hand-off
    assert run_assets(instance, [exported_job_postings]).success

    one_run = {name: bucket.get(OUT, name) for name in bucket.names(OUT)}
    assert run_flow(instance, DAY, full_refresh=True).success
    assert {name: bucket.get(OUT, name) for name in bucket.names(OUT)} == one_run


def test_levels_of_a_checkpoint_share_one_staged_object_and_replaced_ones_are_removed(
    bucket, instance, monkeypatch
):
    from enrichment_platform.defs.assets import augmented

    staged = f"enrichment-staging/{seniority_augmented_postings.key.to_user_string()}/{DAY}"
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    bucket.put(RAW, f"{T0 + 70}.jsonl", FILE_B)
    bucket.put(RAW, f"{T0 + 90}.jsonl", b"{bad\n")  # no valid line: an empty place in the batch
    assert run_assets(instance, [raw_job_postings, seniority_augmented_postings]).success
    batches = [name for name in bucket.names(staged) if name != "_manifest.json"]
    assert len(batches) == 1  # three files, one PUT
    assert run_assets(instance, [exported_job_postings]).success  # another run: ranged GETs into the batch
    separate = {name: bucket.get(OUT, name) for name in bucket.names(OUT)}
    assert len(separate) == 3 and separate[f"{T0 + 90}.jsonl"] == b""

    monkeypatch.setattr(
        augmented, "UNREFERENCED_BATCH_SECONDS", -60.0
    )  # any age: remove unreferenced at once
    assert run_flow(instance, DAY, full_refresh=True).success

    after = [name for name in bucket.names(staged) if name != "_manifest.json"]
    assert len(after) == 1 and after != batches  # the refresh's batch replaced the first one
    assert {name: bucket.get(OUT, name) for name in bucket.names(OUT)} == separate


def test_staged_levels_changed_under_the_manifest_are_refused_not_exported(bucket, instance):
    staged = f"enrichment-staging/{seniority_augmented_postings.key.to_user_string()}/{DAY}"
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    assert run_assets(instance, [raw_job_postings, seniority_augmented_postings]).success
    (batch,) = [name for name in bucket.names(staged) if name != "_manifest.json"]
    digits = bucket.get(staged, batch)
    bucket.put(
        staged, batch, bytes(ord("7") if digit != ord("7") else ord("1") for digit in digits)
    )  # same length

    result = run_assets(instance, [exported_job_postings])  # another run: no local copy of the levels

    assert materialization_metadata(result, exported_job_postings)["files_processed"] == 0
    dead_letters = f"enrichment-staging/dead-letter/{exported_job_postings.key.to_user_string()}/{DAY}"
    record = orjson.loads(bucket.get(dead_letters, f"{T0 + 10}.jsonl.json"))
    assert "do not match their hash" in record["error"]
    assert bucket.names(OUT) == []


def test_raw_file_replaced_after_validation_is_not_augmented_from_the_new_bytes(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_A)
    assert run_assets(instance, [raw_job_postings]).success
    bucket.put(RAW, f"{T0 + 10}.jsonl", FILE_B)  # replaced upstream between the steps
    dead_letters = f"enrichment-staging/dead-letter/{seniority_augmented_postings.key.to_user_string()}/{DAY}"

    result = run_assets(instance, [seniority_augmented_postings])

    # Set aside (dead-lettered) instead: the partition's other files would go on.
    assert materialization_metadata(result, seniority_augmented_postings)["files_processed"] == 0
    record = orjson.loads(bucket.get(dead_letters, f"{T0 + 10}.jsonl.json"))
    assert "changed since it was validated" in record["error"]
    assert run_flow(instance, DAY).success  # a new run validates the new version and goes through
    assert len(lines(bucket.get(OUT, f"{T0 + 10}.jsonl"))) == 2
    assert bucket.names(dead_letters) == []


def test_worker_processes_give_the_same_bytes_as_the_step_alone(bucket, instance, monkeypatch):
    names = [f"{T0 + 60 * i}.jsonl" for i in range(10)]
    for i, name in enumerate(names):
        bucket.put(RAW, name, FILE_A if i % 2 else FILE_B + b"\nnot json\n")
    monkeypatch.setenv("ENRICHMENT_WORKER_PROCESSES", "0")
    assert run_flow(instance, DAY).success
    alone = {name: (bucket.get(OUT, name), bucket.get(QUARANTINE, name)) for name in names}

    monkeypatch.setenv("ENRICHMENT_WORKER_PROCESSES", "2")
    result = run_flow(instance, DAY, full_refresh=True)

    assert result.success
    assert {name: (bucket.get(OUT, name), bucket.get(QUARANTINE, name)) for name in names} == alone
    assert materialization_metadata(result, raw_job_postings)["worker_processes"] == 2
