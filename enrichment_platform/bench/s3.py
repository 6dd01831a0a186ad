"""S3 endpoint benchmark: CPU per request of the local S3 API endpoints, on the server and in boto3.

The flow's requests per raw file: a GET of the raw file (~1 MB), a small PUT (its quarantined lines) and a
large PUT (the output), plus the staged levels. On two cores the local endpoint's CPU competes with the
run it serves, so the demo and the benchmark use the cheaper of moto's two ways of serving S3.
"""

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import boto3
import psutil

from enrichment_platform.devstack.processes import free_port
from enrichment_platform.devstack.s3_server import start_moto_server_process

LARGE_BYTES = 1_100_000  # a raw posting file of 5,555 lines
SMALL_BYTES = 6_000  # the quarantine or the levels of a file


@dataclass
class RequestCost:
    endpoint: str
    request: str
    server_cpu_ms: float
    client_cpu_ms: float
    wall_ms: float


def _process_cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _measure(endpoint: str, pid: int, request: str, count: int, call) -> RequestCost:
    server, client_cpu, wall = _process_cpu_seconds(pid), time.process_time(), time.perf_counter()
    for index in range(count):
        call(index)
    per = 1000 / count
    return RequestCost(
        endpoint=endpoint,
        request=request,
        server_cpu_ms=round((_process_cpu_seconds(pid) - server) * per, 2),
        client_cpu_ms=round((time.process_time() - client_cpu) * per, 2),
        wall_ms=round((time.perf_counter() - wall) * per, 2),
    )


def flow_requests(client, small: bytes, large: bytes) -> list[tuple[str, Callable[[int], object]]]:
    """The flow's kinds of request on one boto3 client, each a call that takes the request's index."""
    return [
        ("PUT 6 KB", lambda i: client.put_object(Bucket="bench", Key=f"small/{i}", Body=small)),
        ("PUT 1.1 MB", lambda i: client.put_object(Bucket="bench", Key=f"large/{i}", Body=large)),
        ("GET 1.1 MB", lambda i: client.get_object(Bucket="bench", Key=f"large/{i}")["Body"].read()),
    ]


def run_s3_bench(requests: int = 300) -> list[RequestCost]:
    """Each endpoint in turn, one client (boto3, as the assets use it), `requests` of each kind."""
    large, small = os.urandom(LARGE_BYTES), os.urandom(SMALL_BYTES)
    costs = []
    for endpoint, all_services in (("moto_server", True), ("s3_endpoint", False)):
        with start_moto_server_process(free_port(), all_services=all_services) as server:
            client = boto3.client(
                "s3",
                endpoint_url=server.endpoint_url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            client.create_bucket(Bucket="bench")
            pid = server.process.pid
            for request, call in flow_requests(client, small, large):
                costs.append(_measure(endpoint, pid, request, requests, call))
    return costs


def as_markdown(costs: list[RequestCost]) -> str:
    lines = ["| endpoint | request | server CPU ms | boto3 CPU ms | wall ms |", "|---|---|---:|---:|---:|"]
    lines += [
        f"| {c.endpoint} | {c.request} | {c.server_cpu_ms} | {c.client_cpu_ms} | {c.wall_ms} |" for c in costs
    ]
    return "\n".join(lines)


def as_dicts(costs: list[RequestCost]) -> list[dict]:
    return [asdict(cost) for cost in costs]
