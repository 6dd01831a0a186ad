"""Asset checks report what is wrong, file by file."""

import dagster as dg
import orjson
import pytest

from enrichment_platform.checks import conservation, one_output_per_input, seniority_in_range
from enrichment_platform.resources import default_resources
from enrichment_platform_tests.harness import CHECKS, FLOW, run_flow

pytestmark = pytest.mark.integration

DAY = "2024-07-17"
LINE = b'{"company": "Acme", "title": "CFO"}\n'


def run_checks(instance, checks, assets=()):
    result = dg.materialize(
        [*FLOW, *CHECKS],
        # A selection of checks alone has no partitions definition for `materialize`; the UI has no such limit.
        selection=dg.AssetSelection.assets(*assets or [FLOW[0]]).without_checks() | dg.AssetSelection.checks(*checks),
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

    evaluations = run_checks(instance, [conservation, one_output_per_input])

    assert not evaluations["conservation"].passed
    assert "1721174402.jsonl: validated but not augmented yet" in evaluations["conservation"].metadata["problems"].value
    assert not evaluations["one_output_per_input"].passed
    assert "1721174402.jsonl: no output" in evaluations["one_output_per_input"].metadata["problems"].value


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
