"""End to end: parts pushed to the real API process, closing alone gets the request processed by `dagster dev`
(its daemon runs the request sensor), once, and the API serves the result."""

import time

import orjson
import pytest

from enrichment_platform_tests.support.dagster_dev import LOCATION, dagster_dev

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTS = [
    b'{"company": "Acme Corp", "title": "Senior Data Engineer", "url": "u1"}\n\n{"company": "Acme"\n',
    b'{"company": "Globex", "title": "Chief Executive Officer", "url": "u2"}\n'
    b'{"company": "Initech", "title": "Junior Accountant", "url": "u3"}',
]
RUNS = """query($filter: RunsFilter!) {
  runsOrError(filter: $filter) { ... on Runs { results { runId status creationTime tags { key value } } } }
}"""
TICKS = """query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 1) { status timestamp } } }
  }
}"""


def test_closing_a_request_alone_gets_it_processed_once_and_served(api_server, api_env, tmp_path):
    erid = "e2e-request"
    assert [api_server.post_part(erid, body).status_code for body in PARTS] == [202, 202]
    env = {name: api_env[name] for name in ("REDIS_URL", "REQUESTS_URI", "SENIORITY_MODEL_VERSION")}
    env |= {"SENIORITY_MODEL_TARGET": api_env["SENIORITY_MODEL_TARGET"], "SENIORITY_MODEL_CAPACITY": "0"}
    with dagster_dev(tmp_path, env) as dev:
        closed_at = time.time()
        assert api_server.post(f"/v1/requests/{erid}/close").status_code == 202
        assert api_server.post(f"/v1/requests/{erid}/close").status_code == 202  # closing twice: one run
        assert api_server.get(f"/v1/requests/{erid}").json()["status"] == "processing"

        def status():
            answer = api_server.get(f"/v1/requests/{erid}").json()
            return answer if answer["status"] in ("done", "failed") else None

        final = dev.wait_for(status, f"request {erid} was not processed", interval=1)
        assert final == {
            "erid": erid,
            "status": "done",
            "parts": 2,
            "lines": 4,
            "valid": 3,
            "quarantined": 1,
        }
        output = api_server.get(f"/v1/requests/{erid}/output")
        assert output.status_code == 200
        titles = [orjson.loads(line)["title"] for line in output.content.splitlines()]
        assert titles == ["Senior Data Engineer", "Chief Executive Officer", "Junior Accountant"]
        quarantine = api_server.get(f"/v1/requests/{erid}/quarantine").content
        assert [orjson.loads(line)["line"] for line in quarantine.splitlines()] == [3]

        # Closed again once done: the sensor's next tick after it requests no second run.
        assert api_server.post(f"/v1/requests/{erid}/close").status_code == 202
        again = time.time()
        selector = {**LOCATION, "sensorName": "pushed_requests_sensor"}

        def ticked_since_then():
            ticks = dev.graphql(TICKS, selector=selector)["sensorOrError"]["sensorState"]["ticks"]
            return ticks and ticks[0]["timestamp"] > again + 1 and ticks[0]["status"] != "STARTED"

        dev.wait_for(ticked_since_then, "the request sensor did not tick", interval=1)
        runs = dev.graphql(RUNS, filter={"tags": [{"key": "dagster/partition", "value": erid}]})
        runs = runs["runsOrError"]["results"]

    assert len(runs) == 1 and runs[0]["status"] == "SUCCESS"
    tags = {tag["key"]: tag["value"] for tag in runs[0]["tags"]}
    assert tags["dagster/sensor_name"] == "pushed_requests_sensor" and tags["dagster/run_key"] == erid
    print(f"run created {runs[0]['creationTime'] - closed_at:.1f} s after the close")
