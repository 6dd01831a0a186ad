"""Running the tests leaves the Redis that REDIS_URL names untouched: the suite flushes only its own."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from enrichment_platform.devstack.redis_server import start_redis

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
# A pytest plugin that keeps the tests whose fixtures empty a Redis database (`clean_redis`) and that need
# nothing but that Redis, so the subprocess runs every cheap Redis-flushing test wherever it lives.
ONLY_REDIS_FLUSHING_TESTS = """
REDIS_ONLY = {"clean_redis", "redis_url", "tmp_path", "tmp_path_factory", "monkeypatch", "capsys", "request"}


def pytest_collection_modifyitems(config, items):
    flushing = [
        item
        for item in items
        if "clean_redis" in getattr(item, "fixturenames", ()) and set(item.fixturenames) <= REDIS_ONLY
    ]
    config.hook.pytest_deselected(items=[item for item in items if item not in flushing])
    items[:] = flushing
"""


def someone_elses_data(client: redis.Redis, db: int) -> None:
    """Keys of every common type, one with a time to live, as another user of a shared Redis would keep."""
    client.set(f"report:{db}", f"quarterly figures of db {db}")
    client.hset(f"user:{db}", mapping={"name": "Ada", "db": str(db)})
    client.rpush(f"queue:{db}", "first", "second")
    client.sadd(f"tags:{db}", "a", "b")
    client.set(f"session:{db}", "token", ex=86_400)
    client.set("sm-old:meta", "a key named like a cache namespace's")


def in_db(url: str, db: int) -> str:
    """`url` with database `db` (a URL's own database wins over redis-py's `db=` argument)."""
    return f"{url.rsplit('/', 1)[0]}/{db}"


def keyspace(url: str) -> dict[int, dict[bytes, tuple[bytes, bool]]]:
    """Every key of every database: its serialized value and whether it has a time to live."""
    admin = redis.Redis.from_url(url)
    databases = int(admin.config_get("databases")["databases"])
    admin.close()
    snapshot = {}
    for db in range(databases):
        client = redis.Redis.from_url(in_db(url, db))
        snapshot[db] = {key: (client.dump(key), client.ttl(key) > 0) for key in client.scan_iter(count=1000)}
        client.close()
    return snapshot


def test_redis_flushing_tests_leave_the_redis_of_redis_url_untouched(tmp_path):
    with start_redis(tmp_path / "shared-redis") as shared:
        for db in (15, 0):
            client = redis.Redis.from_url(in_db(shared.url, db))
            someone_elses_data(client, db)
            client.close()
        before = keyspace(shared.url)
        assert len(before[15]) == len(before[0]) == 6

        (tmp_path / "only_redis_flushing_tests.py").write_text(ONLY_REDIS_FLUSHING_TESTS)
        tests = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "only_redis_flushing_tests",
                "-m",
                "not slow",
                "enrichment_platform_tests",
            ],
            cwd=REPO,
            env={**os.environ, "REDIS_URL": in_db(shared.url, 15), "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
        )
        output = tests.stdout + tests.stderr
        assert tests.returncode == 0, output[-4000:]
        passed = re.search(r"(\d+) passed", output)
        assert passed and int(passed.group(1)) >= 3, output[-4000:]  # the namespace drops and flushes ran

        assert keyspace(shared.url) == before  # every key and value still there, no key added
