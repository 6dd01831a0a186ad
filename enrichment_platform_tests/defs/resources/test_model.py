"""The gRPC model client against real servers: batching, lost uuids, bad answers, version, pacing."""

import time

import numpy as np
import pytest

from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.devstack.processes import free_port
from enrichment_platform.model_client.errors import ModelContractError, ModelUnavailableError
from enrichment_platform.model_client.grpc_client import UNVERSIONED
from enrichment_platform_tests.support.scripted_model import ScriptedModel

pytestmark = pytest.mark.integration


def pairs(n: int) -> list[tuple[str, str]]:
    return [("acme", f"title {i}") for i in range(n)]


def test_large_requests_go_in_batches_of_at_most_a_thousand(serve):
    model = ScriptedModel()
    client = SeniorityModelClient(target=serve(model), capacity=0)
    levels = client.infer(pairs(2_500))
    assert sorted(model.batches) == [500, 1000, 1000]
    assert levels.tolist() == [1 + len(f"title {i}") % 7 for i in range(2_500)]


def test_only_the_uuids_missing_from_an_answer_are_asked_again(serve):
    model = ScriptedModel(drop_first=3)
    levels = SeniorityModelClient(target=serve(model), capacity=0).infer(pairs(10))
    assert model.batches == [10, 3]
    assert (levels >= 1).all()


def test_a_level_outside_one_to_seven_is_refused(serve):
    client = SeniorityModelClient(target=serve(ScriptedModel(level=9)), capacity=0)
    with pytest.raises(ModelContractError, match="seniority 9"):
        client.infer(pairs(2))


def test_proto_only_server_is_unversioned_and_ours_reports_its_version(serve, model_target):
    assert SeniorityModelClient(target=serve(ScriptedModel())).model_version() == UNVERSIONED
    assert SeniorityModelClient(target=model_target).model_version().startswith("sm-")
    assert SeniorityModelClient(target=model_target, model_version_override="v7").model_version() == "v7"


def test_real_model_answers_the_spec_scale(model_target):
    client = SeniorityModelClient(target=model_target, capacity=0)
    levels = client.infer([("", "accounting intern"), ("", "head of legal"), ("", "cfo")])
    assert levels.tolist() == [1, 5, 7]


def test_unreachable_model_fails_after_retries_naming_the_target():
    target = f"127.0.0.1:{free_port()}"
    client = SeniorityModelClient(target=target, max_attempts=2, timeout_seconds=2)
    with pytest.raises(ModelUnavailableError, match=f"seniority model at {target} failed after 2 attempt"):
        client.infer(pairs(1))


def test_requests_are_paced_to_the_capacity(serve):
    client = SeniorityModelClient(target=serve(ScriptedModel()), capacity=2_000, max_in_flight=4)
    started = time.monotonic()
    client.infer(pairs(4_000))  # the first 1,000 go at once, the other 3,000 at 2,000/s
    assert time.monotonic() - started >= 1.4
    assert isinstance(client.infer([]), np.ndarray)


def test_circuit_breaker_fails_fast_while_the_model_is_down():
    target = f"127.0.0.1:{free_port()}"
    client = SeniorityModelClient(target=target, max_attempts=3, timeout_seconds=2, capacity=0)
    with pytest.raises(ModelUnavailableError):
        client.infer(pairs(1))
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match="times in a row \\(last: UNAVAILABLE"):
        client.infer(pairs(1))
    assert time.monotonic() - started < 0.5
