"""Asset checks report what is wrong, file by file."""

from datetime import date, timedelta

import dagster as dg
import orjson
import pytest

from enrichment_platform.defs.checks import quality
from enrichment_platform.defs.checks.contract import conservation, one_output_per_input, seniority_in_range
from enrichment_platform.defs.checks.quality import (
    duplicate_url_rate,
    raw_freshness,
    raw_schema_completeness,
    seniority_distribution_drift,
)
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.pipeline.manifest import Manifest
from enrichment_platform_tests.support.harness import CHECKS, FLOW, run_flow

pytestmark = pytest.mark.integration

DAY = "2024-07-17"
LINE = b'{"company": "Acme", "title": "CFO"}\n'


def run_checks(instance, checks, assets=()):
    result = dg.materialize(
        [*FLOW, *CHECKS],
        # A selection of checks alone gives `materialize` no partitions definition; the UI has no such limit.
        selection=dg.AssetSelection.assets(*assets or [FLOW[0]]).without_checks()
        | dg.AssetSelection.checks(*checks),
        partition_key=DAY,
        resources=default_resources(),
        instance=instance,
        raise_on_error=False,
    )
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def test_checks_name_the_files_that_were_not_processed(bucket, instance):
    bucket.put("job-postings-raw", "1721174401.jsonl", LINE)
    assert run_flow(instance, DAY).success
    bucket.put("job-postings-raw", "1721174402.jsonl", LINE)  # landed after the run
    validated = dg.materialize([FLOW[0]], partition_key=DAY, resources=default_resources(), instance=instance)
    assert validated.success  # validated, then neither augmented nor exported

    evaluations = run_checks(instance, [conservation, one_output_per_input])

    assert not evaluations["conservation"].passed
    assert (
        "1721174402.jsonl: validated but not augmented yet"
        in evaluations["conservation"].metadata["problems"].value
    )
    assert not evaluations["one_output_per_input"].passed
    assert "1721174402.jsonl: no output" in evaluations["one_output_per_input"].metadata["problems"].value


def test_a_file_landing_after_the_runs_raw_step_fails_no_check_of_that_run(bucket, instance):
    bucket.put("job-postings-raw", "1721174401.jsonl", LINE)
    assert run_flow(instance, DAY).success
    bucket.put("job-postings-raw", "1721174402.jsonl", LINE)  # not seen by the raw step of the run below

    evaluations = run_checks(instance, [conservation, one_output_per_input], assets=[FLOW[2]])

    assert evaluations["conservation"].passed  # blocking: failing would hold back the run's exports
    assert evaluations["one_output_per_input"].passed


def test_out_of_range_seniority_fails_its_check(bucket, instance):
    bucket.put("job-postings-raw", "1721174401.jsonl", LINE)
    assert run_flow(instance, DAY).success
    staged = f"enrichment-staging/seniority_augmented_postings/{DAY}"
    manifest = orjson.loads(bucket.get(staged, "_manifest.json"))
    manifest["files"]["1721174401.jsonl"]["out_of_range"] = 1
    bucket.put(staged, "_manifest.json", orjson.dumps(manifest))

    evaluations = run_checks(instance, [seniority_in_range])

    assert not evaluations["seniority_in_range"].passed
    assert evaluations["seniority_in_range"].metadata["out_of_range"].value == 1


T0 = 1721174400  # 2024-07-17 00:00:00 UTC
RAW = "job-postings-raw"
WEEK_MIX = [100, 200, 300, 200, 100, 50, 50]  # lines per level 1..7 on each of the earlier days


def posting(n: int, **fields) -> bytes:
    """A posting with every field of the posting contract; `fields` override them (None: a null value)."""
    record = {
        "url": f"https://x.example/job/{n}/",
        "company": "Acme",
        "title": f"Engineer {n % 7}",
        "location": "NY",
        "scraped_on": T0 + n,
    }
    return orjson.dumps({**record, **fields})


def jsonl(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def set_clock(monkeypatch, seconds: float) -> None:
    monkeypatch.setattr(quality, "now_seconds", lambda: seconds)


def put_augmented_levels(bucket, day: str, levels: list[int]) -> None:
    """An augmented manifest as the asset writes it, with one file of the given level counts."""
    manifest = Manifest()
    manifest.record("1.jsonl", "etag@model", lines=sum(levels), levels=levels, out_of_range=0)
    bucket.put(
        f"enrichment-staging/seniority_augmented_postings/{day}", "_manifest.json", manifest.to_bytes()
    )


def test_quality_checks_pass_on_clean_data_of_today(bucket, instance, monkeypatch):
    set_clock(monkeypatch, T0 + 600)  # "today" is DAY, ten minutes after its first file
    bucket.put(RAW, f"{T0 + 10}.jsonl", jsonl([posting(n) for n in range(40)]))

    result = run_flow(instance, DAY)

    assert result.success
    evaluations = {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
    assert {name: evaluation.passed for name, evaluation in evaluations.items()} == {
        "conservation": True,
        "seniority_in_range": True,
        "one_output_per_input": True,
        "no_dead_lettered_files": True,
        "raw_schema_completeness": True,
        "duplicate_url_rate": True,
        "raw_freshness": True,
        "seniority_distribution_drift": True,
    }
    assert evaluations["raw_schema_completeness"].metadata["completeness"].value == 1.0
    assert evaluations["duplicate_url_rate"].metadata["duplicate_urls"].value == 0
    assert evaluations["raw_freshness"].metadata["newest_file_age_seconds"].value == 590
    assert "nothing to compare with" in evaluations["seniority_distribution_drift"].metadata["note"].value


def test_missing_locations_warn_on_schema_completeness(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", jsonl([posting(n) for n in range(100)]))
    bucket.put(RAW, f"{T0 + 70}.jsonl", jsonl([posting(n, location=None) for n in range(100, 110)]))

    evaluation = run_checks(instance, [raw_schema_completeness])["raw_schema_completeness"]

    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert (
        metadata["valid_postings"],
        metadata["incomplete_postings"],
        metadata["files_below_threshold"],
    ) == (110, 10, 1)
    assert f"{T0 + 70}.jsonl: 10 of 10 valid postings incomplete" in metadata["problems"]


def test_repeated_urls_warn_on_duplicate_url_rate(bucket, instance):
    bucket.put(RAW, f"{T0 + 10}.jsonl", jsonl([posting(n) for n in range(100)]))
    bucket.put(
        RAW, f"{T0 + 70}.jsonl", jsonl([posting(n, url="https://x.example/job/same/") for n in range(10)])
    )

    evaluation = run_checks(instance, [duplicate_url_rate])["duplicate_url_rate"]

    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["duplicate_urls"].value == 9  # the first of the ten is not a repeat
    assert evaluation.metadata["duplicate_url_rate"].value == round(9 / 110, 4)
    assert f"{T0 + 70}.jsonl: 9 of 10 valid postings repeat a url" in evaluation.metadata["problems"].value


def test_stale_file_of_today_warns_on_freshness_and_past_days_pass(bucket, instance, monkeypatch):
    bucket.put(RAW, f"{T0 + 60}.jsonl", jsonl([posting(1)]))

    set_clock(monkeypatch, T0 + 3 * 3600)  # DAY is today, its newest file is about three hours old
    stale = run_checks(instance, [raw_freshness])["raw_freshness"]
    set_clock(monkeypatch, T0 + 2 * 86_400)  # two days later DAY is a past partition
    past = run_checks(instance, [raw_freshness])["raw_freshness"]

    assert not stale.passed
    assert stale.severity == dg.AssetCheckSeverity.WARN
    assert stale.metadata["newest_file"].value == f"{T0 + 60}.jsonl"
    assert stale.metadata["newest_file_age_seconds"].value == 3 * 3600 - 60
    assert past.passed
    assert "past partition" in past.metadata["note"].value


def test_level_mix_unlike_the_week_before_warns_on_drift(bucket, instance):
    for days_back in (1, 2, 3, 5, 6, 7):  # one day of the week was never processed: skipped
        put_augmented_levels(
            bucket, (date.fromisoformat(DAY) - timedelta(days=days_back)).isoformat(), WEEK_MIX
        )
    put_augmented_levels(bucket, DAY, [level * 2 for level in WEEK_MIX])
    same_mix = run_checks(instance, [seniority_distribution_drift])["seniority_distribution_drift"]
    put_augmented_levels(bucket, DAY, [100, 200, 300, 200, 100, 50, 50 + 300])  # 300 more executives
    shifted = run_checks(instance, [seniority_distribution_drift])["seniority_distribution_drift"]

    assert same_mix.passed
    assert same_mix.metadata["total_variation_distance"].value == 0.0
    assert same_mix.metadata["history_partitions"].value.count(", ") == 5  # six days found
    assert not shifted.passed
    assert shifted.severity == dg.AssetCheckSeverity.WARN
    assert shifted.metadata["total_variation_distance"].value == round(
        350 / 1300 - 50 / 1000, 4
    )  # the share level 7 gained
    assert "| 7 |" in shifted.metadata["levels"].value
