"""The big-file benchmark: a small file cut into many chunks through every asset, measured and reported."""

import json
import os

import pytest

from enrichment_platform.bench.bigfile import BigFileConfig, run_bigfile_bench

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_file_of_many_chunks_is_measured_and_its_outputs_counted(tmp_path, monkeypatch, s3_endpoint):
    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", "65536")  # the file is streamed, some 15 chunks
    config = BigFileConfig(
        size_mb=1,
        universe=2_000,
        lines_per_block=2_000,
        results_dir=tmp_path / "results",
        data_dir=tmp_path / "data",
    )

    result = run_bigfile_bench(config)

    # The bench's own S3 endpoint is gone: this process points at the session's again.
    assert os.environ["AWS_ENDPOINT_URL"] == s3_endpoint
    assert result["file_mb"] >= 1 and result["lines"] % 2_000 == 0
    assert 0 < result["output_lines"] and 0 < result["quarantined_lines"]
    assert result["output_lines"] + result["quarantined_lines"] <= result["lines"]
    assert result["warehouse_rows"] == result["output_lines"]
    assert result["output_sha256"] and result["quarantine_sha256"]
    assert 0 < result["peak_rss_mb"] and result["wall_seconds"] > 0
    (out_dir,) = (tmp_path / "results").iterdir()
    assert json.loads((out_dir / "bigfile.json").read_text()) == result
    assert "peak resident memory" in (out_dir / "bigfile.md").read_text()
