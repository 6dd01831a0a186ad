"""TLS between the model client and the model server, with a certificate made by the test."""

import pytest

from enrichment_platform.resources.model import ModelUnavailableError, SeniorityModelClient
from enrichment_platform.seniority.model import SeniorityClassifier
from enrichment_platform.seniority.server import start_server, tls_credentials
from enrichment_platform_tests.tls import make_certificates

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tls_model(tmp_path_factory):
    files = make_certificates(tmp_path_factory.mktemp("model-tls"))
    running = start_server(SeniorityClassifier.load(), port=0, capacity=0,
                           credentials=tls_credentials(files.cert, files.key))
    yield running.target, files
    running.stop(grace=0)


def test_client_with_the_ca_speaks_tls_to_the_server(tls_model):
    target, files = tls_model
    client = SeniorityModelClient(target=target, capacity=0, tls_ca_path=str(files.ca))
    assert client.infer([("", "chief financial officer")]).tolist() == [7]
    assert client.model_version().startswith("sm-")


def test_plaintext_client_is_refused(tls_model):
    target, _ = tls_model
    client = SeniorityModelClient(target=target, capacity=0, max_attempts=1, timeout_seconds=3)
    with pytest.raises(ModelUnavailableError, match=f"seniority model at {target}"):
        client.infer([("", "cfo")])


def test_tls_needs_both_certificate_and_key(tmp_path):
    files = make_certificates(tmp_path)
    with pytest.raises(ValueError, match="both --tls-cert and --tls-key"):
        tls_credentials(files.cert, None)
