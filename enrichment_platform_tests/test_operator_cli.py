"""`enrichment-platform cache ...`: list, drop and benchmark cache namespaces on a real Redis."""

import json

import numpy as np
import pytest

from enrichment_platform.cache.keys import pair_keys
from enrichment_platform.cli import main
from enrichment_platform.defs.resources.cache import SeniorityCache

pytestmark = pytest.mark.integration


def test_namespaces_are_listed_and_an_old_one_dropped(clean_redis, capsys):
    cache = SeniorityCache(redis_url=clean_redis)
    cache.store("sm-old", pair_keys([("a", "b"), ("c", "d")]), np.array([1, 2], dtype=np.uint8))
    cache.store("sm-new", pair_keys([("a", "b")]), np.array([3], dtype=np.uint8))

    main(["cache", "namespaces", "--redis-url", clean_redis])
    listing = capsys.readouterr().out
    assert "sm-old" in listing and "sm-new" in listing

    main(["cache", "drop", "sm-old", "--redis-url", clean_redis])
    assert "dropped namespace sm-old" in capsys.readouterr().out
    assert [info.name for info in cache.namespaces()] == ["sm-new"]

    with pytest.raises(SystemExit, match="no namespace 'sm-gone'"):
        main(["cache", "drop", "sm-gone", "--redis-url", clean_redis])


def test_cache_bench_reports_bytes_per_pair_and_rates(clean_redis, capsys):
    main(
        [
            "cache",
            "bench",
            "--pairs",
            "20000",
            "--batch",
            "5000",
            "--lookup-batches",
            "1000,20000",
            "--redis-url",
            clean_redis,
        ]
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["pairs"] == 20_000 and result["bytes_per_pair"] > 0
    assert result["lookups_per_second"] > 0 and result["writes_per_second"] > 0
    assert [rate["batch"] for rate in result["lookups"]] == [1000, 20000]
    assert all(rate["redis_cpu_us_per_key"] > 0 for rate in result["lookups"])
    assert SeniorityCache(redis_url=clean_redis).namespaces() == []  # the bench cleans up after itself
