"""The tests' Redis Cluster: every slot is served, and node ports leave room for their cluster bus."""

import socket

import pytest
import redis

from enrichment_platform_tests.support import redis_cluster

pytestmark = pytest.mark.integration


def test_cluster_node_port_leaves_its_bus_port_free():
    port = redis_cluster.cluster_node_port()
    assert port + redis_cluster.BUS_PORT_OFFSET <= 65_535
    for taken in (port, port + redis_cluster.BUS_PORT_OFFSET):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", taken))


def test_cluster_fixture_serves_every_slot(redis_cluster_url):
    client = redis.RedisCluster.from_url(redis_cluster_url)
    try:
        info = client.cluster_info()
        assert info["cluster_state"] == "ok"
        assert int(info["cluster_slots_assigned"]) == redis_cluster.CLUSTER_SLOTS
        assert len(client.get_primaries()) == 3
    finally:
        client.close()
