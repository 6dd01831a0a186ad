"""Parts, close, status and results through the real API process, its Redis and the S3 endpoint: numbering,
exactly-once storage, the closed.json contract, and nothing left behind by refused or broken uploads."""

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

pytestmark = pytest.mark.integration

LINE = b'{"title": "Senior Data Engineer", "company": "Acme Corp", "url": "https://example.com/1"}\n'


def stored_keys(server, erid: str) -> list[str]:
    """Every object key under the request's prefix in S3."""
    pages = (
        boto3.client("s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=server.bucket, Prefix=f"{server.prefix}{erid}/")
    )
    return [item["Key"] for page in pages for item in page.get("Contents", ())]


def s3_object(server, name: str) -> dict:
    return boto3.client("s3").get_object(Bucket=server.bucket, Key=f"{server.prefix}{name}")


def closed_record(server, erid: str) -> dict:
    return json.loads(s3_object(server, f"{erid}/closed.json")["Body"].read())


def test_parts_are_numbered_in_order_of_arrival_with_their_non_blank_lines(api_server):
    answers = [api_server.post_part("req-1", LINE * count + b"\n  \n") for count in (3, 1, 2)]
    assert [answer.status_code for answer in answers] == [202, 202, 202]
    assert [answer.json() for answer in answers] == [
        {"erid": "req-1", "part": 1, "lines": 3},
        {"erid": "req-1", "part": 2, "lines": 1},
        {"erid": "req-1", "part": 3, "lines": 2},
    ]
    status = api_server.get("/v1/requests/req-1").json()
    assert status == {
        "erid": "req-1",
        "status": "open",
        "parts": 3,
        "lines": 6,
        "valid": None,
        "quarantined": None,
    }


def test_concurrent_parts_get_every_number_once_without_gaps(api_server):
    def post_ten(thread: int) -> list[int]:
        return [api_server.post_part("busy", LINE * (thread + 1)).json()["part"] for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = [number for numbers in pool.map(post_ten, range(8)) for number in numbers]
    assert sorted(numbers) == list(range(1, 81))
    assert api_server.post("/v1/requests/busy/close").status_code == 202
    record = closed_record(api_server, "busy")
    assert [part["part"] for part in record["parts"]] == list(range(1, 81))
    assert len({part["key"] for part in record["parts"]}) == 80


def test_a_retry_with_the_same_idempotency_key_is_stored_once_and_answered_the_same(api_server):
    first = api_server.post_part("retry", LINE * 2, **{"Idempotency-Key": "upload-7"})
    again = api_server.post_part("retry", LINE * 5, **{"Idempotency-Key": "upload-7"})
    other = api_server.post_part("retry", LINE, **{"Idempotency-Key": "upload-8"})
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() == {"erid": "retry", "part": 1, "lines": 2}
    assert other.json()["part"] == 2
    assert len(stored_keys(api_server, "retry")) == 2


def test_a_part_over_50_mb_is_refused_with_413_and_nothing_is_stored(api_server):
    def body():  # streamed: no Content-Length, so the server finds out while reading
        chunk = LINE * (1_048_576 // len(LINE))
        for _ in range(60):
            yield chunk

    try:
        answer = api_server.post_part("huge", body())
        assert answer.status_code == 413
        assert "52,428,800 bytes" in answer.json()["error"]
    except requests.ConnectionError:
        pass  # the server may close the connection while the client is still sending: also a refusal
    assert stored_keys(api_server, "huge") == []
    assert api_server.get("/v1/requests/huge").status_code == 404


def raw_request_head(server, erid: str, content_length: int) -> bytes:
    """The head of a part POST as a client writes it on the wire, declaring `content_length` bytes."""
    return (
        f"POST /v1/requests/{erid}/parts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {server.key}\r\nContent-Type: application/x-ndjson\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    ).encode()


def test_a_declared_content_length_over_50_mb_is_refused_before_the_body_is_read(api_server):
    port = int(api_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(raw_request_head(api_server, "declared", 60 * 1024 * 1024) + LINE)
        answer = b""
        while not answer.endswith(b"}"):  # the head and the JSON body may come in separate reads
            received = connection.recv(65536)
            if not received:
                break
            answer += received
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"52,428,800 bytes" in answer
    assert stored_keys(api_server, "declared") == []


def test_a_part_after_close_is_refused_with_409(api_server):
    api_server.post_part("late", LINE)
    assert api_server.post("/v1/requests/late/close").status_code == 202
    answer = api_server.post_part("late", LINE)
    assert answer.status_code == 409
    assert "closed" in answer.json()["error"]
    assert [part["part"] for part in closed_record(api_server, "late")["parts"]] == [1]
    assert len(stored_keys(api_server, "late")) == 2  # the one part and closed.json


def test_closing_twice_changes_nothing(api_server):
    api_server.post_part("twice", LINE)
    first = api_server.post("/v1/requests/twice/close")
    written = s3_object(api_server, "twice/closed.json")
    time.sleep(1.1)  # a rewrite would show a later LastModified
    second = api_server.post("/v1/requests/twice/close")
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    again = s3_object(api_server, "twice/closed.json")
    assert again["LastModified"] == written["LastModified"]
    assert again["Body"].read() == written["Body"].read()


def test_closing_an_erid_without_parts_is_404(api_server):
    answer = api_server.post("/v1/requests/nothing-here/close")
    assert answer.status_code == 404
    assert "post a part before closing" in answer.json()["error"]
    assert stored_keys(api_server, "nothing-here") == []


def test_closed_json_lists_each_part_with_its_stored_body(api_server):
    bodies = [LINE * 2, b"not json\n" + LINE, LINE]
    for body in bodies:
        api_server.post_part("contract", body)
    api_server.post("/v1/requests/contract/close")
    record = closed_record(api_server, "contract")
    assert record["erid"] == "contract"
    assert abs(record["closed_at"] - time.time()) < 60
    assert [(part["part"], part["lines"], part["bytes"]) for part in record["parts"]] == [
        (1, 2, len(bodies[0])),
        (2, 2, len(bodies[1])),
        (3, 1, len(bodies[2])),
    ]
    for part, body in zip(record["parts"], bodies):
        stored = boto3.client("s3").get_object(Bucket=api_server.bucket, Key=part["key"])
        assert stored["Body"].read() == body


def test_parts_racing_close_are_either_listed_or_refused(api_server):
    api_server.post_part("race", LINE)

    def post_parts(_: int) -> list[int]:
        return [api_server.post_part("race", LINE).status_code for _ in range(15)]

    with ThreadPoolExecutor(max_workers=5) as pool:
        posting = pool.map(post_parts, range(4))
        time.sleep(0.3)
        assert api_server.post("/v1/requests/race/close").status_code == 202
        codes = [code for codes in posting for code in codes]
    assert set(codes) <= {202, 409}
    listed = {part["key"] for part in closed_record(api_server, "race")["parts"]}
    assert len(listed) == 1 + codes.count(202)
    bodies = {key for key in stored_keys(api_server, "race") if not key.endswith("closed.json")}
    assert bodies == listed  # no body stored but left out of closed.json


def put_result(server, erid: str, result: dict, output: bytes = b"", quarantine: bytes = b"") -> None:
    """What the processing side writes: output and quarantine, then result.json last."""
    client = boto3.client("s3")
    for name, data in (("output.jsonl", output), ("quarantine.jsonl", quarantine)):
        client.put_object(Bucket=server.bucket, Key=f"{server.prefix}{erid}/{name}", Body=data)
    client.put_object(
        Bucket=server.bucket, Key=f"{server.prefix}{erid}/result.json", Body=json.dumps(result).encode()
    )


def test_status_goes_open_processing_done_and_results_are_served_once_done(api_server):
    api_server.post_part("flow", LINE + b"bad\n")
    assert api_server.get("/v1/requests/flow").json()["status"] == "open"
    assert api_server.get("/v1/requests/flow/output").status_code == 409
    api_server.post("/v1/requests/flow/close")
    assert api_server.get("/v1/requests/flow").json()["status"] == "processing"
    early = api_server.get("/v1/requests/flow/quarantine")
    assert early.status_code == 409
    assert "processing" in early.json()["error"]

    output = LINE.rstrip(b"\n")[:-1] + b', "seniority": 3}\n'
    quarantine = b'{"line": 2, "reason": "not JSON", "raw": "bad"}\n'
    put_result(
        api_server, "flow", {"status": "done", "lines": 2, "valid": 1, "quarantined": 1}, output, quarantine
    )
    assert api_server.get("/v1/requests/flow").json() == {
        "erid": "flow",
        "status": "done",
        "parts": 1,
        "lines": 2,
        "valid": 1,
        "quarantined": 1,
    }
    served = api_server.get("/v1/requests/flow/output")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/x-ndjson")
    assert served.content == output
    assert api_server.get("/v1/requests/flow/quarantine").content == quarantine


def test_a_failed_request_reports_its_error_and_serves_no_output(api_server):
    api_server.post_part("broken", LINE)
    api_server.post("/v1/requests/broken/close")
    put_result(
        api_server, "broken", {"status": "failed", "lines": 1, "valid": 0, "quarantined": 0, "error": "boom"}
    )
    status = api_server.get("/v1/requests/broken").json()
    assert status["status"] == "failed"
    assert status["error"] == "boom"
    assert status["valid"] is None
    refused = api_server.get("/v1/requests/broken/output")
    assert refused.status_code == 409
    assert "failed: boom" in refused.json()["error"]


@pytest.mark.parametrize("path", ["", "/output", "/quarantine"])
def test_an_unknown_erid_is_404(api_server, path):
    answer = api_server.get(f"/v1/requests/never-posted{path}")
    assert answer.status_code == 404
    assert "never-posted" in answer.json()["error"]


def test_a_client_disconnecting_mid_upload_leaves_no_part(api_server):
    body = LINE * 2_000
    port = int(api_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(raw_request_head(api_server, "cut", len(body) * 2) + body)
        time.sleep(0.5)
    time.sleep(1.0)
    assert stored_keys(api_server, "cut") == []
    assert api_server.get("/v1/requests/cut").status_code == 404
    assert api_server.post_part("cut", LINE).json()["part"] == 1  # no number was used up
