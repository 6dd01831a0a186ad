"""A model server built only from the proto, whose answers tests can script and count."""

import time
from concurrent import futures

import grpc
import pytest

from enrichment_platform.devstack.processes import free_port
from enrichment_platform.seniority import seniority_pb2, seniority_pb2_grpc


class ScriptedModel(seniority_pb2_grpc.SeniorityModelServicer):
    """A proto-only server whose answers a test can bend: drop uuids once, answer out of range."""

    def __init__(self, drop_first: int = 0, level: int | None = None, delay: float = 0.0):
        self.batches = []
        self.pairs = []
        self.drop_first = drop_first
        self.level = level
        self.delay = delay

    def InferSeniority(self, request, context):
        self.batches.append(len(request.batch))
        self.pairs.extend((item.company, item.title) for item in request.batch)
        time.sleep(self.delay)
        items = list(request.batch)
        if self.drop_first:
            items, self.drop_first = items[self.drop_first :], 0
        return seniority_pb2.SeniorityResponseBatch(
            batch=[
                seniority_pb2.SeniorityResponse(
                    uuid=item.uuid, seniority=self.level or 1 + len(item.title) % 7
                )
                for item in items
            ]
        )


@pytest.fixture
def serve():
    servers = []

    def start(servicer) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        seniority_pb2_grpc.add_SeniorityModelServicer_to_server(servicer, server)
        port = free_port()
        server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop(grace=None)
