"""TLS between the model client and the model server, with certificates made by the test."""

import sys

import grpc
import pytest

from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.devstack.processes import free_port, spawn
from enrichment_platform.model_client.errors import ModelUnavailableError
from enrichment_platform.seniority.model import SeniorityClassifier
from enrichment_platform.seniority.server import start_server, tls_credentials
from enrichment_platform_tests.support.tls import make_certificates

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tls_model(tmp_path_factory):
    files = make_certificates(tmp_path_factory.mktemp("model-tls"))
    running = start_server(
        SeniorityClassifier.load(), port=0, capacity=0, credentials=tls_credentials(files.cert, files.key)
    )
    yield running.target, files
    running.stop(grace=0)


def test_client_with_the_ca_speaks_tls_to_the_server(tls_model):
    target, files = tls_model
    client = SeniorityModelClient(target=target, capacity=0, tls_ca_path=str(files.ca))
    assert client.infer([("", "chief financial officer")]).tolist() == [7]
    assert client.model_version().startswith("sm-")


def test_the_health_check_goes_over_tls_as_configured(tls_model):
    target, files = tls_model
    assert SeniorityModelClient(target=target, tls_ca_path=str(files.ca)).client.health_status(5) == "SERVING"
    assert SeniorityModelClient(target=target).client.health_status(2) is None  # plaintext: refused


def test_plaintext_client_is_refused(tls_model):
    target, _ = tls_model
    client = SeniorityModelClient(target=target, capacity=0, max_attempts=1, timeout_seconds=3)
    with pytest.raises(ModelUnavailableError, match=f"seniority model at {target}"):
        client.infer([("", "cfo")])


def test_tls_needs_both_certificate_and_key(tmp_path):
    files = make_certificates(tmp_path)
    with pytest.raises(ValueError, match="both --tls-cert and --tls-key"):
        tls_credentials(files.cert, None)


@pytest.fixture(scope="module")
def mutual_tls_model(tmp_path_factory):
    """`seniority-model serve --tls-client-ca` as a process: it serves only clients with a certificate its
    CA signed."""
    directory = tmp_path_factory.mktemp("model-mtls")
    files = make_certificates(directory / "certs")
    port = free_port()
    process = spawn(
        "seniority-model",
        [
            sys.executable,
            "-m",
            "enrichment_platform.seniority",
            "serve",
            "--port",
            str(port),
            "--capacity",
            "0",
            "--tls-cert",
            str(files.cert),
            "--tls-key",
            str(files.key),
            "--tls-client-ca",
            str(files.ca),
        ],
        directory / "model.log",
    )
    target = f"127.0.0.1:{port}"
    credentials = grpc.ssl_channel_credentials(
        files.ca.read_bytes(), files.client_key.read_bytes(), files.client_cert.read_bytes()
    )
    try:
        with grpc.secure_channel(target, credentials) as channel:
            try:
                grpc.channel_ready_future(channel).result(timeout=60)
            except grpc.FutureTimeoutError:
                pytest.fail(process.failure("the mutual-TLS model server did not come up"))
        yield target, files
    finally:
        process.stop()


def test_client_with_a_certificate_signed_by_the_servers_client_ca_is_served(mutual_tls_model):
    target, files = mutual_tls_model
    client = SeniorityModelClient(
        target=target,
        capacity=0,
        tls_ca_path=str(files.ca),
        tls_cert_path=str(files.client_cert),
        tls_key_path=str(files.client_key),
    )
    assert client.infer([("", "chief financial officer")]).tolist() == [7]


def test_client_without_a_certificate_is_refused_with_a_message_naming_the_settings(mutual_tls_model):
    target, files = mutual_tls_model
    client = SeniorityModelClient(
        target=target, capacity=0, max_attempts=1, timeout_seconds=3, tls_ca_path=str(files.ca)
    )
    with pytest.raises(ModelUnavailableError, match=f"seniority model at {target}") as refused:
        client.infer([("", "cfo")])
    assert "set SENIORITY_MODEL_TLS_CERT and SENIORITY_MODEL_TLS_KEY" in str(refused.value)


def test_client_certificate_from_another_ca_is_refused(mutual_tls_model, tmp_path):
    target, files = mutual_tls_model
    stranger = make_certificates(tmp_path / "other-ca")
    client = SeniorityModelClient(
        target=target,
        capacity=0,
        max_attempts=1,
        timeout_seconds=3,
        tls_ca_path=str(files.ca),
        tls_cert_path=str(stranger.client_cert),
        tls_key_path=str(stranger.client_key),
    )
    with pytest.raises(ModelUnavailableError, match="--tls-client-ca signed SENIORITY_MODEL_TLS_CERT"):
        client.infer([("", "cfo")])


def test_client_certificate_without_its_key_is_refused_before_connecting(tmp_path):
    files = make_certificates(tmp_path)
    client = SeniorityModelClient(target="127.0.0.1:1", capacity=0, tls_cert_path=str(files.client_cert))
    with pytest.raises(ValueError, match="SENIORITY_MODEL_TLS_CERT and SENIORITY_MODEL_TLS_KEY go together"):
        client.infer([("", "cfo")])
