"""The table of bad and odd input (core/test_bad_input.py) as raw files through the real flow: one output
object per file, conservation per file, every asset check passing, and the same bytes on a rerun."""

import orjson
import pytest

from enrichment_platform.defs.assets.raw import raw_job_postings
from enrichment_platform_tests.postings.test_bad_input import KINDS, file_lines, is_blank, valid_input_lines
from enrichment_platform_tests.support.harness import materialization_metadata, run_flow

pytestmark = pytest.mark.integration

DAY = "2024-07-17"
T0 = 1721174400  # 2024-07-17T00:00:00Z
RAW, OUT, QUARANTINE = "job-postings-raw", "job-postings-mod", "job-postings-quarantine"
LINE_KINDS = [kind for kind in KINDS if not kind.own_file]
MIXED_FILES = 4


def raw_files() -> dict[str, list]:
    """File name -> its kinds: the line kinds spread over a few mixed files, the others one file each."""
    groups = [LINE_KINDS[i::MIXED_FILES] for i in range(MIXED_FILES)]
    groups += [[kind] for kind in KINDS if kind.own_file]
    return {f"{T0 + 60 * (n + 1)}.jsonl": kinds for n, kinds in enumerate(groups)}


def test_every_kind_of_bad_input_goes_through_the_flow_with_nothing_lost(bucket, instance):
    files = raw_files()
    contents = {name: b"".join(kind.data for kind in kinds) for name, kinds in files.items()}
    for name, data in contents.items():
        bucket.put(RAW, name, data)

    result = run_flow(instance, DAY)

    assert result.success
    assert bucket.names(OUT) == sorted(files)  # one output object per input file, empty ones included
    with_rejects = sorted(name for name, kinds in files.items() if any(kind.rejected for kind in kinds))
    assert bucket.names(QUARANTINE) == with_rejects
    for name, kinds in files.items():
        output = bucket.get(OUT, name)
        quarantine = bucket.get(QUARANTINE, name) if name in with_rejects else b""
        assert output == b"" or output.endswith(b"\n"), name
        non_blank = sum(not is_blank(text) for text in file_lines(contents[name]))
        assert output.count(b"\n") + quarantine.count(b"\n") == non_blank, name
        assert output.count(b"\n") == sum(kind.valid for kind in kinds), name
        originals = [text for kind in kinds for text in valid_input_lines(kind)]
        for original, augmented in zip(originals, output.split(b"\n")[:-1], strict=True):
            record = orjson.loads(augmented)
            assert 1 <= record["seniority"] <= 7
            assert record == {**orjson.loads(original), "seniority": record["seniority"]}, name
            assert augmented.startswith(original.rstrip()[:-1])  # the original bytes
        for record in map(orjson.loads, quarantine.split(b"\n")[:-1]):
            assert sorted(record) == ["error", "line", "raw"] and record["error"]

    checks = {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}
    contract = {"conservation", "seniority_in_range", "one_output_per_input"}
    assert {name: passed for name, passed in checks.items() if name in contract} == dict.fromkeys(
        contract, True
    )
    # Odd input on purpose: the data-quality warnings say so, without failing the run.
    assert checks["raw_schema_completeness"] is False and checks["duplicate_url_rate"] is False
    meta = materialization_metadata(result, raw_job_postings)
    assert meta["files_processed"] == len(files)
    assert meta["valid_lines"] + meta["quarantined_lines"] == meta["lines"] - meta["blank_lines"]
    assert meta["valid_lines"] == sum(kind.valid for kind in KINDS)

    first = {name: bucket.get(OUT, name) for name in files}
    assert run_flow(instance, DAY, full_refresh=True).success
    assert {name: bucket.get(OUT, name) for name in files} == first  # a rerun writes the same bytes
