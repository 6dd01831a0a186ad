"""A proto-only model server that tests can script, started in-process on a free port."""

from concurrent import futures

import grpc
import pytest

from enrichment_platform.devstack.services import free_port
from enrichment_platform.seniority import seniority_pb2_grpc


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
