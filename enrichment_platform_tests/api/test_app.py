"""The HTTP surface of the real API process: bearer keys, JSON errors, erid and content-type rules, probes
and the Prometheus metrics."""

import boto3
import orjson
import pytest
import requests

from enrichment_platform.devstack.processes import free_port

pytestmark = pytest.mark.integration

LINE = b'{"title": "Head of Sales", "company": "Globex"}\n'


def objects_in(server) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=server.bucket)
    return [item["Key"] for item in listing.get("Contents", ())]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-key", "Basic dGVzdA==", "Bearer ", "Bearer test-key-01234567890"]
)
def test_a_missing_or_wrong_key_is_refused_with_401(api_server, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in (
        ("POST", "/v1/requests/r/parts"),
        ("GET", "/v1/requests/r"),
        ("POST", "/v1/seniority"),
    ):
        answer = requests.request(method, api_server.url + path, data=LINE, headers=headers, timeout=10)
        assert answer.status_code == 401
        assert "key" in answer.json()["error"]
    assert objects_in(api_server) == []


def test_every_configured_key_is_accepted(start_api):
    server = start_api(ENRICHMENT_API_KEYS="first-key, second-key")
    for key in ("first-key", "second-key"):
        answer = requests.get(
            f"{server.url}/v1/requests/x", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert answer.status_code == 404  # past the key check: the erid is unknown


def test_without_keys_configured_every_v1_call_is_refused_and_says_why(start_api):
    server = start_api(ENRICHMENT_API_KEYS=None)
    answer = requests.get(
        f"{server.url}/v1/requests/x", headers={"Authorization": "Bearer anything"}, timeout=10
    )
    assert answer.status_code == 401
    assert "ENRICHMENT_API_KEYS is unset" in answer.json()["error"]
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_probes_and_metrics_need_no_key(api_server):
    assert requests.get(f"{api_server.url}/healthz", timeout=10).json() == {"status": "alive"}
    ready = requests.get(f"{api_server.url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"redis": "ok", "s3": "ok", "model": "ok"}
    assert requests.get(f"{api_server.url}/metrics", timeout=10).status_code == 200


@pytest.mark.parametrize("erid", ["a" * 65, "dots.and.more", "spa ce", "%2E%2E", "caf%C3%A9"])
def test_an_invalid_erid_is_refused_and_nothing_reaches_s3(api_server, erid):
    answer = api_server.post_part(erid, LINE)
    assert answer.status_code == 400
    assert "erid" in answer.json()["error"]
    assert objects_in(api_server) == []


def test_a_slash_in_the_erid_matches_no_route(api_server):
    answer = api_server.post_part("..%2F..%2Fetc", LINE)
    assert answer.status_code == 404
    assert "error" in answer.json()
    assert objects_in(api_server) == []


@pytest.mark.parametrize(
    "content_type", ["application/x-ndjson", "application/jsonl; charset=utf-8", "text/plain"]
)
def test_jsonl_content_types_are_taken(api_server, content_type):
    assert api_server.post_part("typed", LINE, **{"Content-Type": content_type}).status_code == 202


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", "image/png"]
)
def test_other_content_types_are_refused_with_415(api_server, content_type):
    answer = api_server.post_part("typed", LINE, **{"Content-Type": content_type})
    assert answer.status_code == 415
    assert "application/x-ndjson" in answer.json()["error"]
    assert objects_in(api_server) == []


def test_an_empty_part_is_refused_with_400_and_stores_nothing(api_server):
    answer = api_server.post_part("empty", b"")
    assert answer.status_code == 400
    assert "empty" in answer.json()["error"]
    assert objects_in(api_server) == []
    assert api_server.get("/v1/requests/empty").status_code == 404


def test_an_unknown_route_answers_a_json_error(api_server):
    answer = api_server.get("/v1/nothing")
    assert answer.status_code == 404
    assert answer.json() == {"error": "Not Found"}


def test_readyz_is_503_and_names_the_dependency_that_failed(start_api):
    server = start_api(SENIORITY_MODEL_TARGET=f"127.0.0.1:{free_port()}")
    answer = requests.get(f"{server.url}/readyz", timeout=30)
    assert answer.status_code == 503
    assert answer.json()["error"] == "not ready: model failed"
    assert answer.json()["checks"]["redis"] == answer.json()["checks"]["s3"] == "ok"


def test_readyz_names_a_requests_uri_it_cannot_list(start_api):
    server = start_api(REQUESTS_URI="s3://no-such-bucket-for-readyz/requests/")
    answer = requests.get(f"{server.url}/readyz", timeout=30)
    assert answer.status_code == 503
    assert answer.json()["checks"]["s3"].startswith("s3://no-such-bucket-for-readyz/requests/ (REQUESTS_URI)")


def metric(text: str, line_start: str) -> float:
    """The value of the sample whose line starts with `line_start` in Prometheus text."""
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start)]
    assert values, f"no sample {line_start} in /metrics"
    return values[0]


def test_metrics_count_requests_parts_lines_and_request_states(api_server):
    api_server.post_part("counted", LINE * 3)
    api_server.post_part("counted", LINE * 2)
    api_server.post_part("still-open", LINE)
    api_server.post("/v1/requests/counted/close")
    api_server.get("/v1/requests/unknown")
    text = requests.get(f"{api_server.url}/metrics", timeout=10).text
    parts_route = (
        'enrichment_api_http_requests_total{method="POST",route="/v1/requests/{erid}/parts",status="202"}'
    )
    assert metric(text, parts_route) == 3
    assert (
        metric(
            text, 'enrichment_api_http_requests_total{method="GET",route="/v1/requests/{erid}",status="404"}'
        )
        == 1
    )
    assert (
        metric(
            text, 'enrichment_api_http_request_seconds_count{method="POST",route="/v1/requests/{erid}/parts"}'
        )
        == 3
    )
    assert metric(text, "enrichment_api_parts_received_total") == 3
    assert metric(text, "enrichment_api_lines_received_total") == 6
    assert metric(text, "enrichment_api_part_bytes_received_total") == 6 * len(LINE)
    assert metric(text, 'enrichment_api_pushed_requests{state="open"}') == 1
    assert metric(text, 'enrichment_api_pushed_requests{state="closed"}') == 1
    assert metric(text, 'enrichment_api_pushed_requests{state="processing"}') == 1  # no run in this test


def test_the_api_logs_json_lines(start_api, tmp_path):
    server = start_api(ENRICHMENT_LOG_FORMAT="json")
    assert server.get("/v1/requests/nobody").status_code == 404
    port = server.url.rsplit(":", 1)[1]
    lines = (tmp_path / f"api-{port}.log").read_text().splitlines()
    entries = [orjson.loads(line) for line in lines]
    assert any("GET /v1/requests/nobody" in entry["message"] for entry in entries)
