"""The model server comes up SERVING and stops; a gRPC service that dies or never serves says why."""

import sys

import pytest

from enrichment_platform.devstack import model_server
from enrichment_platform.devstack.processes import ServiceStartError

pytestmark = pytest.mark.integration


def test_grpc_service_that_dies_reports_its_log(tmp_path):
    def command(port):
        script = "import sys; sys.stderr.write('model artifact missing\\n'); sys.exit(3)"
        return [sys.executable, "-c", script]

    with pytest.raises(ServiceStartError, match="(?s)exited with code 3.*model artifact missing"):
        model_server.start_grpc_service(command, name="broken-model", workdir=tmp_path, timeout=10)


def test_grpc_service_that_never_serves_times_out_and_is_stopped(tmp_path):
    def command(port):
        return [sys.executable, "-c", "import time; print('loading', flush=True); time.sleep(60)"]

    with pytest.raises(ServiceStartError, match="(?s)not ready after 1s.*loading"):
        model_server.start_grpc_service(command, name="slow-model", workdir=tmp_path, timeout=1)


def test_model_server_reports_serving(model_target):
    assert model_server.grpc_health_status(model_target) == "SERVING"


@pytest.mark.slow
def test_started_model_server_stops(tmp_path):
    with model_server.start_model_server(capacity=0, workdir=tmp_path) as service:
        assert model_server.grpc_health_status(service.target) == "SERVING"
    assert service.process.popen.returncode is not None
    assert model_server.grpc_health_status(service.target) is None
