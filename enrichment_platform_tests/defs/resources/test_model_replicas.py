"""The model client against two real `seniority-model serve` replicas behind one round-robin target."""

import os
import signal
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from enrichment_platform.bench.model import distinct_pairs, max_in_window
from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.processes import free_port
from enrichment_platform.seniority import seniority_pb2_grpc
from enrichment_platform_tests.support.scripted_model import ScriptedModel

pytestmark = pytest.mark.integration


class Replicas:
    """Two model servers with request logs, and the gRPC target that names both."""

    def __init__(self, workdir: Path, capacity: int = 0):
        self.logs = [workdir / f"replica-{index}.log" for index in range(2)]
        self.servers = []
        try:
            for log in self.logs:
                self.servers.append(start_model_server(capacity=capacity, workdir=workdir, request_log=log))
        except BaseException:
            self.stop()
            raise
        self.target = "ipv4:" + ",".join(f"127.0.0.1:{server.port}" for server in self.servers)

    def pairs_received(self) -> list[int]:
        """Per replica, the pairs its request log recorded."""
        return [sum(int(line.split()[1]) for line in log.read_text().splitlines()) for log in self.logs]

    def kill(self, index: int) -> None:
        os.killpg(self.servers[index].process.pid, signal.SIGKILL)  # no drain, no goodbye: a lost machine
        self.servers[index].process.popen.wait()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def start_replicas(tmp_path):
    started = []

    def start(capacity: int = 0) -> Replicas:
        started.append(Replicas(tmp_path / f"set-{len(started)}", capacity))
        return started[-1]

    yield start
    for replicas in started:
        replicas.stop()


@pytest.fixture
def replicas(start_replicas) -> Replicas:
    return start_replicas()


def test_round_robin_target_spreads_batches_over_both_replicas_and_asks_each_pair_once(replicas):
    pairs = distinct_pairs(2_000)
    client = SeniorityModelClient(target=replicas.target, capacity=0, batch_size=100)

    levels = client.infer(pairs)

    received = replicas.pairs_received()
    assert sum(received) == len(pairs)  # each pair asked once, over both replicas
    assert min(received) >= 500, received  # both did a share of the 20 batches
    assert ((levels >= 1) & (levels <= 7)).all()
    alone = SeniorityModelClient(target=replicas.servers[0].target, capacity=0).infer(pairs)
    assert levels.tolist() == alone.tolist()


def test_replicas_together_receive_no_more_than_the_shared_capacity(replicas, clean_redis):
    # Two clients with their own connections to the shared schedule in Redis, as two worker processes have.
    capacity, per_client = 2_000, 2_500
    clients = [
        SeniorityModelClient(target=replicas.target, capacity=capacity, rate_limit_redis_url=clean_redis)
        for _ in range(2)
    ]
    results = {}

    def work(index: int) -> None:
        results[index] = clients[index].infer(distinct_pairs(per_client, offset=index * per_client))

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    assert sorted(results) == [0, 1] and all(len(levels) == per_client for levels in results.values())
    assert all(received > 0 for received in replicas.pairs_received())
    merged = replicas.logs[0].parent / "both.log"
    merged.write_text("".join(log.read_text() for log in replicas.logs))
    # The rate plus at most one request of a quarter second's capacity in any second, over both replicas.
    assert max_in_window(merged, 1.0) <= capacity + capacity // 4
    assert elapsed >= (2 * per_client - capacity // 4) / capacity * 0.95  # paced, not sent at once


def test_clients_keep_answering_from_the_other_replica_when_one_is_killed(start_replicas):
    # Replicas that queue like the real endpoint keep calls in flight, so the kill fails several at once.
    replicas = start_replicas(capacity=2_000)
    clients = [SeniorityModelClient(target=replicas.target, capacity=0, batch_size=250) for _ in range(2)]
    outcome = {}

    def work(index: int) -> None:
        outcome[index] = clients[index].infer(distinct_pairs(6_000, offset=index * 6_000))  # about 3 s

    threads = [threading.Thread(target=work, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while min(replicas.pairs_received()) < 2_000 and time.monotonic() < deadline:
        time.sleep(0.02)  # until both are busy, with calls queued on each
    replicas.kill(0)
    for thread in threads:
        thread.join(60)

    assert sorted(outcome) == [0, 1]  # both infer() calls returned instead of raising
    assert all(((levels >= 1) & (levels <= 7)).all() for levels in outcome.values())
    before = replicas.pairs_received()
    later = clients[0].infer(distinct_pairs(1_000, offset=10**6))
    after = replicas.pairs_received()
    assert after[1] - before[1] == 1_000 and after[0] == before[0]  # all of it on the survivor
    assert len(later) == 1_000


def serve_with_health(model: ScriptedModel) -> tuple[grpc.Server, health.HealthServicer, str]:
    """A proto-only model server that also reports its grpc.health.v1 status (SERVING to start with)."""
    server, status = grpc.server(futures.ThreadPoolExecutor(max_workers=4)), health.HealthServicer()
    seniority_pb2_grpc.add_SeniorityModelServicer_to_server(model, server)
    health_pb2_grpc.add_HealthServicer_to_server(status, server)
    address = f"127.0.0.1:{free_port()}"
    server.add_insecure_port(address)
    server.start()
    status.set("", health_pb2.HealthCheckResponse.SERVING)
    return server, status, address


def test_a_replica_reporting_not_serving_gets_no_calls_until_it_serves_again():
    models = [ScriptedModel(), ScriptedModel()]
    (server_a, status_a, address_a), (server_b, _, address_b) = [serve_with_health(model) for model in models]
    client = SeniorityModelClient(
        target=f"ipv4:{address_a},{address_b}", capacity=0, batch_size=10, max_in_flight=1
    )
    try:
        client.infer(distinct_pairs(100))
        assert len(models[0].batches) > 0 and len(models[1].batches) > 0

        status_a.set("", health_pb2.HealthCheckResponse.NOT_SERVING)  # as while draining after SIGTERM
        time.sleep(0.5)  # the client hears it on its health watch
        calls_a, calls_b = len(models[0].batches), len(models[1].batches)
        client.infer(distinct_pairs(100, offset=100))
        assert (len(models[0].batches), len(models[1].batches)) == (calls_a, calls_b + 10)

        status_a.set("", health_pb2.HealthCheckResponse.SERVING)
        time.sleep(0.5)
        client.infer(distinct_pairs(100, offset=200))
        assert len(models[0].batches) > calls_a
    finally:
        server_a.stop(grace=None)
        server_b.stop(grace=None)
