import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from enrichment_platform.seniority import seniority_pb2, seniority_pb2_grpc
from enrichment_platform.seniority.cli import build_parser
from enrichment_platform.seniority.metrics import ServerMetrics
from enrichment_platform.seniority.model import EMPTY_TITLE_SENIORITY, SeniorityClassifier
from enrichment_platform.seniority.scale import LEVELS
from enrichment_platform.seniority.server import (
    MAX_BATCH_SIZE,
    SERVICE_NAME,
    VERSION_METADATA_KEY,
    CapacityQueue,
    start_server,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_LINE = re.compile(r"seniority model (sm-[0-9a-f]{8}) serving on 127\.0\.0\.1:(\d+) \(capacity (.+)\)")


@pytest.fixture(scope="module")
def model():
    return SeniorityClassifier.load()


@pytest.fixture(scope="module")
def unlimited_server(model):
    running = start_server(model, port=0, capacity=0)
    yield running
    running.stop(grace=0)


@pytest.fixture
def channel_to():
    channels = []

    def open_channel(running):
        channel = grpc.insecure_channel(running.target)
        grpc.channel_ready_future(channel).result(timeout=5)
        channels.append(channel)
        return channel

    yield open_channel
    for channel in channels:
        channel.close()


@pytest.fixture
def stub(unlimited_server, channel_to):
    return seniority_pb2_grpc.SeniorityModelStub(channel_to(unlimited_server))


def batch_of(pairs):
    return seniority_pb2.SeniorityRequestBatch(
        batch=[
            seniority_pb2.SeniorityRequest(uuid=uuid, company=company, title=title)
            for uuid, company, title in pairs
        ]
    )


def numbered_batch(size, first_uuid=0):
    return batch_of(
        (first_uuid + index, "Acme Corp", f"Senior Data Engineer {index}") for index in range(size)
    )


def test_uuids_are_echoed_in_request_order(stub):
    uuids = [17, -3, 2**31 - 1, -(2**31), 0, 5, 99, 4]
    response = stub.InferSeniority(batch_of((uuid, "Acme Corp", "Senior Accountant") for uuid in uuids))
    assert [item.uuid for item in response.batch] == uuids


def test_seniority_levels_follow_the_model(stub):
    titles = [
        "Accounting Intern",
        "Senior Tax Accountant",
        "Account Manager",
        "Head of Legal",
        "Managing Director, Treasury",
        "CEO",
    ]
    response = stub.InferSeniority(batch_of((index, "Acme", title) for index, title in enumerate(titles)))
    assert [item.seniority for item in response.batch] == [1, 3, 4, 5, 6, 7]


def test_a_full_batch_gets_levels_one_to_seven(stub):
    response = stub.InferSeniority(numbered_batch(MAX_BATCH_SIZE))
    assert len(response.batch) == MAX_BATCH_SIZE
    assert {item.seniority for item in response.batch} <= set(LEVELS)


def test_batch_over_the_limit_is_invalid_argument(stub):
    with pytest.raises(grpc.RpcError) as error:
        stub.InferSeniority(numbered_batch(MAX_BATCH_SIZE + 1))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "1001" in error.value.details()


def test_empty_batch_gets_empty_response(stub):
    response = stub.InferSeniority(seniority_pb2.SeniorityRequestBatch())
    assert len(response.batch) == 0


def test_empty_title_and_company_strings(stub):
    response = stub.InferSeniority(batch_of([(1, "", "Senior Accountant"), (2, "Acme", ""), (3, "", "")]))
    assert [(item.uuid, item.seniority) for item in response.batch] == [
        (1, 3),
        (2, EMPTY_TITLE_SENIORITY),
        (3, EMPTY_TITLE_SENIORITY),
    ]


def test_every_call_sends_the_model_version(stub, model):
    _, call = stub.InferSeniority.with_call(numbered_batch(3))
    assert (VERSION_METADATA_KEY, model.version) in call.initial_metadata()

    _, call = stub.InferSeniority.with_call(seniority_pb2.SeniorityRequestBatch())
    assert (VERSION_METADATA_KEY, model.version) in call.initial_metadata()

    with pytest.raises(grpc.RpcError) as error:
        stub.InferSeniority(numbered_batch(MAX_BATCH_SIZE + 1))
    assert (VERSION_METADATA_KEY, model.version) in error.value.initial_metadata()


def test_health_service_reports_serving(unlimited_server, channel_to):
    health = health_pb2_grpc.HealthStub(channel_to(unlimited_server))
    for service in ("", SERVICE_NAME):
        response = health.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as error:
        health.Check(health_pb2.HealthCheckRequest(service="NoSuchService"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def _time_concurrent_batches(stub, batches):
    started = time.monotonic()
    with ThreadPoolExecutor(len(batches)) as pool:
        responses = list(pool.map(stub.InferSeniority, batches))
    return time.monotonic() - started, responses


def test_capacity_queues_excess_load_instead_of_failing(model, channel_to):
    running = start_server(model, port=0, capacity=2000)
    try:
        stub = seniority_pb2_grpc.SeniorityModelStub(channel_to(running))
        batches = [numbered_batch(1000, first_uuid=n * 1000) for n in range(3)]
        elapsed, responses = _time_concurrent_batches(stub, batches)
    finally:
        running.stop(grace=0)
    # 3,000 pairs at 2,000 pairs/s: the last batch completes 1.5 s after the first arrives.
    assert elapsed >= 1.4
    assert elapsed < 5.0
    assert [len(response.batch) for response in responses] == [1000, 1000, 1000]


def test_unlimited_capacity_is_fast(stub):
    batches = [numbered_batch(1000, first_uuid=n * 1000) for n in range(3)]
    elapsed, responses = _time_concurrent_batches(stub, batches)
    assert elapsed < 1.0
    assert all(len(response.batch) == 1000 for response in responses)


def test_capacity_queue_serves_batches_back_to_back():
    capacity = CapacityQueue(1000)
    before = time.monotonic()
    first = capacity.reserve(500)
    second = capacity.reserve(250)
    assert first == pytest.approx(before + 0.5, abs=0.05)
    assert second == pytest.approx(first + 0.25, abs=1e-9)
    assert CapacityQueue(0).reserve(10_000) <= time.monotonic()
    with pytest.raises(ValueError, match="capacity must be >= 0"):
        CapacityQueue(-1)


def test_graceful_stop_finishes_in_flight_calls_then_refuses_new_ones(model, channel_to):
    running = start_server(model, port=0, capacity=1000)
    stub = seniority_pb2_grpc.SeniorityModelStub(channel_to(running))
    in_flight = stub.InferSeniority.future(numbered_batch(500))  # takes 0.5 s at 1,000 pairs/s
    time.sleep(0.1)

    started = time.monotonic()
    running.stop(grace=3)
    stop_seconds = time.monotonic() - started

    assert len(in_flight.result(timeout=1).batch) == 500
    assert stop_seconds < 3
    assert running.health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), None).status == (
        health_pb2.HealthCheckResponse.NOT_SERVING
    )
    with pytest.raises(grpc.RpcError) as error:
        stub.InferSeniority(numbered_batch(1), timeout=2)
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_taken_port_fails_loudly(model, unlimited_server):
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{unlimited_server.port}"):
        start_server(model, port=unlimited_server.port, capacity=0)


def _read_lines(stream, lines):
    for line in stream:
        lines.put(line)


def test_cli_serve_logs_the_port_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "enrichment_platform.seniority", "serve", "--port", "0", "--capacity", "0"],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True).start()
    try:
        ready = None
        deadline = time.monotonic() + 30
        while ready is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert process.poll() is None, "server exited before it was ready"
                continue
            ready = READY_LINE.search(line)
        assert ready, "server never logged its ready line"
        version, port, capacity = ready.group(1), int(ready.group(2)), ready.group(3)
        assert port != 0 and capacity == "unlimited"

        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            response, call = seniority_pb2_grpc.SeniorityModelStub(channel).InferSeniority.with_call(
                batch_of([(42, "Acme", "CFO")]), timeout=10
            )
        assert [(item.uuid, item.seniority) for item in response.batch] == [(42, 7)]
        assert (VERSION_METADATA_KEY, version) in call.initial_metadata()

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_metrics_count_pairs_calls_batch_sizes_and_time_behind_the_capacity(model, channel_to):
    metrics = ServerMetrics()
    running = start_server(model, port=0, capacity=1000, metrics=metrics)
    try:
        stub = seniority_pb2_grpc.SeniorityModelStub(channel_to(running))
        for first in (0, 200):  # 400 pairs at 1,000 pairs/s: the second call waits behind the first
            stub.InferSeniority(numbered_batch(200, first), timeout=10)
        port = metrics.serve("127.0.0.1", 0)
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        running.stop(grace=0)

    def value(name: str) -> float:
        return float(re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE).group(1))

    assert value("seniority_model_pairs_total") == 400 and value("seniority_model_calls_total") == 2
    assert value('seniority_model_batch_pairs_bucket{le="250.0"}') == 2
    assert value("seniority_model_capacity_wait_seconds_sum") >= 0.15  # about 0.2 + 0.4 s minus inference
    assert (
        value("seniority_model_call_seconds_count") == 2
        and value("seniority_model_inference_seconds_sum") > 0
    )


def test_cli_takes_a_metrics_port():
    assert build_parser().parse_args(["serve", "--metrics-port", "9102"]).metrics_port == 9102
    assert build_parser().parse_args(["serve"]).metrics_port is None
