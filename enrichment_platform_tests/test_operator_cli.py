"""`enrichment-platform`: every command's help on a plain install; the cache commands on a real Redis."""

import json
import subprocess
import sys

import numpy as np
import pytest

from enrichment_platform.cache.admin import namespaces
from enrichment_platform.cache.keys import pair_keys
from enrichment_platform.cli import build_parser, main
from enrichment_platform.defs.resources.cache import SeniorityCache

COMMANDS = [
    [],
    ["cache"],
    ["cache", "namespaces"],
    ["cache", "drop"],
    ["cache", "bench"],
    ["bench"],
    ["bench", "model"],
    ["bench", "s3"],
    ["bench", "flow"],
]

# Runs the CLI with the given modules missing, as after `pip install .` without the extras.
WITHOUT_MODULES = """
import json, sys
missing, commands = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.modules.update(dict.fromkeys(missing))
from enrichment_platform.cli import main
for command in commands:
    try:
        main(command)
    except SystemExit as stop:
        print("RESULT", json.dumps({"command": command, "code": stop.code}))
imported = sorted(name for name in sys.modules if name.startswith("enrichment_platform.bench"))
print("RESULT", json.dumps({"benchmarks_imported": imported}))
"""


def run_without(missing: list[str], commands: list[list[str]]) -> tuple[list[dict], list[str]]:
    """Each command's exit code, and the benchmark modules imported meanwhile."""
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_MODULES, json.dumps(missing), json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = [
        line.removeprefix("RESULT ") for line in completed.stdout.splitlines() if line.startswith("RESULT ")
    ]
    *exits, imported = (json.loads(result) for result in results)
    return exits, imported["benchmarks_imported"]


def test_every_command_s_help_works_without_the_bench_and_local_extras():
    exits, imported = run_without(["psutil", "matplotlib", "moto"], [[*c, "--help"] for c in COMMANDS])

    assert [(ended["command"][:-1], ended["code"]) for ended in exits] == [
        (command, 0) for command in COMMANDS
    ]
    assert imported == []


def test_a_benchmark_without_its_extra_says_what_to_install():
    exits, imported = run_without(["psutil", "matplotlib"], [["bench", "flow"], ["bench", "s3"]])

    assert [ended["command"] for ended in exits] == [["bench", "flow"], ["bench", "s3"]]
    for ended in exits:
        assert "needs psutil" in ended["code"]
        assert ended["code"].endswith("pip install 'enrichment_platform[bench]'")
    assert imported == []


def test_settings_used_as_defaults_are_read_when_the_parser_is_built(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://redis.example:6380/3")

    assert build_parser().parse_args(["cache", "namespaces"]).redis_url == "redis://redis.example:6380/3"


@pytest.mark.integration
def test_namespaces_are_listed_and_an_old_one_dropped(clean_redis, capsys):
    cache = SeniorityCache(redis_url=clean_redis)
    cache.store("sm-old", pair_keys([("a", "b"), ("c", "d")]), np.array([1, 2], dtype=np.uint8))
    cache.store("sm-new", pair_keys([("a", "b")]), np.array([3], dtype=np.uint8))

    main(["cache", "namespaces", "--redis-url", clean_redis])
    listing = capsys.readouterr().out
    assert "sm-old" in listing and "sm-new" in listing

    main(["cache", "drop", "sm-old", "--redis-url", clean_redis])
    assert "dropped namespace sm-old" in capsys.readouterr().out
    assert [info.name for info in namespaces(cache.client)] == ["sm-new"]

    with pytest.raises(SystemExit, match="no namespace 'sm-gone'"):
        main(["cache", "drop", "sm-gone", "--redis-url", clean_redis])


@pytest.mark.integration
def test_a_namespace_of_the_fixed_size_layout_is_listed_as_such_and_migrated(clean_redis, capsys):
    client = SeniorityCache(redis_url=clean_redis).client
    key = pair_keys([("a", "b")])[0].tobytes()
    client.hset("sen:sm-old:meta", mapping={"bucket_bits": 8, "pairs": 1, "created": 1})
    client.hset(f"sen:sm-old:{{{key[0]:02x}}}".encode() + bytes(3), key[8:], "4")

    main(["cache", "namespaces", "--redis-url", clean_redis])
    assert "fixed-size layout: run `cache migrate` on it" in capsys.readouterr().out
    main(["cache", "migrate", "sm-old", "--redis-url", clean_redis])
    assert "namespace sm-old: 1 level(s) moved to the growing layout" in capsys.readouterr().out
    assert SeniorityCache(redis_url=clean_redis).lookup("sm-old", pair_keys([("a", "b")])).tolist() == [4]


@pytest.mark.integration
def test_cache_bench_reports_bytes_per_pair_and_rates(clean_redis, capsys):
    main(
        [
            "cache",
            "bench",
            "--checkpoints",
            "5000,20000",
            "--batch",
            "5000",
            "--lookup-batches",
            "1000,20000",
            "--redis-url",
            clean_redis,
        ]
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    small, large = result["checkpoints"]
    assert (small["pairs"], large["pairs"]) == (5_000, 20_000)
    assert (
        large["bytes_per_pair"] > 0 and large["writes_per_second"] > 0 and large["non_compact_buckets"] == 0
    )
    assert large["buckets"] > small["buckets"] and result["lookups_per_second"] > 0
    assert [rate["batch"] for rate in large["lookups"]] == [1000, 20000]
    assert all(rate["redis_cpu_us_per_key"] > 0 for rate in large["lookups"])
    assert namespaces(SeniorityCache(redis_url=clean_redis).client) == []  # the bench cleans up after itself
