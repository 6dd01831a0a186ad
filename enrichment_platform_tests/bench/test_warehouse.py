"""The warehouse loader benchmark on a real PostgreSQL: both passes load every row and are measured."""

import pytest

from enrichment_platform.bench.warehouse import run_warehouse_bench

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_first_load_and_the_full_refresh_load_every_row_and_are_measured(postgres_url, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_PG_URL", postgres_url.libpq_url)

    result = run_warehouse_bench(files=3, lines=200)

    first, refresh = result["first_load"], result["full_refresh"]
    assert first["rows"] == refresh["rows"] > 590  # 600 lines, 0.5 % of them bad
    assert first["seconds_indexing"] > 0 and refresh["seconds"] > 0
    assert first["client_cpu_us_per_row"] > 0 and first["postgres_cpu_us_per_row"] > 0
    assert first["bytes_per_row"] > 0
