"""A local Redis Cluster for the tests: cluster-enabled redis-servers on free port pairs, every slot
assigned."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from enrichment_platform.devstack.processes import LOCALHOST, LocalService, ServiceStartError, port_free
from enrichment_platform.devstack.redis_server import RedisService, start_redis

CLUSTER_SLOTS = 16384
# Redis adds this to a node's port for its cluster bus.
BUS_PORT_OFFSET = 10_000


def cluster_node_port() -> int:
    """A free port P whose cluster bus port P + 10000 is free too (Redis 6 requires P <= 55535)."""
    for _ in range(200):
        port = random.randint(20_000, 65_535 - BUS_PORT_OFFSET)
        if port_free(port) and port_free(port + BUS_PORT_OFFSET):
            return port
    raise ServiceStartError("no free port pair (P, P + 10000) for a Redis Cluster node")


@dataclass
class RedisClusterService(LocalService):
    """A local Redis Cluster: `nodes` masters without replicas, all slots assigned."""

    url: str
    nodes: list[RedisService]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_redis_cluster(workdir: str | Path, nodes: int = 3, timeout: float = 30.0) -> RedisClusterService:
    """Start `nodes` cluster-enabled redis-servers, spread the 16384 slots over them and wait for `ok`."""
    directory = Path(workdir)
    started: list[RedisService] = []
    try:
        for index in range(nodes):
            node_dir = directory / f"node-{index}"
            started.append(
                start_redis(
                    node_dir,
                    port=cluster_node_port(),
                    args=("--cluster-enabled", "yes", "--cluster-config-file", str(node_dir / "nodes.conf")),
                )
            )
        clients = [redis.Redis(host=LOCALHOST, port=node.port) for node in started]
        bounds = [round(i * CLUSTER_SLOTS / nodes) for i in range(nodes + 1)]
        for client, first, last in zip(clients, bounds, bounds[1:]):
            client.execute_command("CLUSTER ADDSLOTS", *range(first, last))  # Redis 6 has no ADDSLOTSRANGE
        for node in started[1:]:
            clients[0].execute_command("CLUSTER MEET", LOCALHOST, node.port)
        deadline = time.monotonic() + timeout
        while any(client.cluster("info")["cluster_state"] != "ok" for client in clients):
            if time.monotonic() > deadline:
                raise ServiceStartError(
                    f"Redis Cluster on ports {[n.port for n in started]} not ok after {timeout}s"
                )
            time.sleep(0.1)
        for client in clients:
            client.close()
    except BaseException:
        for node in started:
            node.stop()
        raise
    return RedisClusterService(url=f"redis://{LOCALHOST}:{started[0].port}/0", nodes=started)
