"""The push API under load, end to end on local services: concurrent clients each push parts to their own
erid, close it and fetch the result, which the code location's sensor and runs produce (Dagster's daemon, code
server and run queue as deployed); then synchronous lookups of cached pairs.

Checks as it measures: every line sent comes back once, in the output (in order, original bytes) or the
quarantine, and the model was asked each distinct normalized pair once across all requests (its request log).
Everything runs on this machine (localhost only) and is removed afterwards.
"""

import os
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import numpy as np
import orjson
import requests

from enrichment_platform.bench.data import Universe, generate_file
from enrichment_platform.devstack.api_process import start_api_process
from enrichment_platform.devstack.dagster_stack import start_dagster
from enrichment_platform.devstack.model_server import start_model_server
from enrichment_platform.devstack.processes import free_port
from enrichment_platform.devstack.redis_server import start_redis
from enrichment_platform.devstack.s3_server import local_aws_env, local_aws_environ, start_moto_server_process
from enrichment_platform.postings.normalize import normalize_pair
from enrichment_platform.postings.parse import parse_postings

BUCKET = "api-bench"
KEY = f"bench-{uuid.uuid4().hex[:12]}"
T0 = 1721174400


@dataclass
class ApiBenchConfig:
    clients: int = 16
    parts: int = 20
    lines: int = 1_000
    universe: int = 50_000
    zipf_exponent: float = 1.1
    capacity: int = 0  # the model's pairs/s (0: unlimited)
    lookup_clients: int = 8
    lookup_calls: int = 100  # per lookup client
    lookup_pairs: int = 100  # per call
    seed: int = 11


@dataclass
class ClientResult:
    erid: str
    post_seconds: list[float] = field(default_factory=list)
    closed_at: float = 0.0
    done_at: float = 0.0
    problems: list[str] = field(default_factory=list)
    pairs: set = field(default_factory=set)  # normalized pairs of the valid lines


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def run_client(url: str, erid: str, parts: list[bytes], started: threading.Barrier) -> ClientResult:
    """Push every part (each with an Idempotency-Key), close, wait for done, fetch and check the result."""
    result = ClientResult(erid)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    started.wait()
    for number, body in enumerate(parts, 1):
        begun = time.perf_counter()
        answer = session.post(
            f"{url}/v1/requests/{erid}/parts",
            data=body,
            headers={"Content-Type": "application/x-ndjson", "Idempotency-Key": f"{erid}-{number}"},
            timeout=300,
        )
        result.post_seconds.append(time.perf_counter() - begun)
        if answer.status_code != 202 or answer.json()["part"] != number:
            result.problems.append(f"part {number}: {answer.status_code} {answer.text[:200]}")
    result.closed_at = time.perf_counter()
    session.post(f"{url}/v1/requests/{erid}/close", timeout=60).raise_for_status()
    while (status := session.get(f"{url}/v1/requests/{erid}", timeout=60).json())["status"] != "done":
        if status["status"] == "failed":
            result.problems.append(f"failed: {status.get('error')}")
            return result
        time.sleep(0.25)
    result.done_at = time.perf_counter()
    output = session.get(f"{url}/v1/requests/{erid}/output", timeout=300).content.splitlines()
    quarantine = session.get(f"{url}/v1/requests/{erid}/quarantine", timeout=300).content.splitlines()
    valid, rejected, offset = [], [], 0
    for body in parts:
        parsed = parse_postings(body, offset + 1)
        valid += parsed.valid_lines
        rejected += [orjson.loads(record)["line"] for record in parsed.quarantine]
        offset += parsed.lines
    sent = sum(1 for body in parts for line in body.split(b"\n") if line.strip())
    if len(output) + len(quarantine) != sent:
        result.problems.append(f"{len(output)} output + {len(quarantine)} quarantined != {sent} sent")
    # Each output line is its input line's bytes with the level added last.
    originals = [line[: line.rindex(b',"seniority":')] + b"}" for line in output]
    if originals != valid:
        result.problems.append("the output lines are not the valid input lines in order")
    if [orjson.loads(record)["line"] for record in quarantine] != rejected:
        result.problems.append("the quarantine's line numbers are not those of the rejected lines")
    for line in output:
        posting = orjson.loads(line)
        result.pairs.add(normalize_pair(posting["company"], posting["title"]))
    return result


def lookups(url: str, pairs: list[dict], calls: int, size: int, seed: int) -> list[float]:
    """`calls` POST /v1/seniority of `size` pairs drawn from `pairs`; each call's seconds."""
    rng = np.random.default_rng(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    seconds = []
    for _ in range(calls):
        chosen = [pairs[i] for i in rng.integers(0, len(pairs), size).tolist()]
        begun = time.perf_counter()
        answer = session.post(f"{url}/v1/seniority", json={"pairs": chosen}, timeout=60)
        seconds.append(time.perf_counter() - begun)
        answer.raise_for_status()
    return seconds


def model_pairs_asked(request_log: Path) -> tuple[int, int]:
    """Pairs the model was asked, and in how many requests (the server's request log: `time pairs`)."""
    counts = [int(line.split()[1]) for line in request_log.read_text().splitlines() if line.strip()]
    return sum(counts), len(counts)


def run_api_bench(config: ApiBenchConfig) -> dict:
    work = Path(tempfile.mkdtemp(prefix="api-bench-"))
    universe = Universe.build(config.universe, config.zipf_exponent, config.seed)
    print(
        f"[bench] generating {config.clients} x {config.parts} parts x {config.lines} lines ...", flush=True
    )
    requests_parts = {
        f"client-{client:02d}": [
            generate_file(universe, T0, config.lines, config.seed * 1_000_003 + client * 1_000 + part)[0]
            for part in range(config.parts)
        ]
        for client in range(config.clients)
    }
    request_log = work / "model-requests.log"
    try:
        with (
            start_redis(work / "redis") as redis_service,
            start_moto_server_process(free_port(), work / "moto") as s3,
            start_model_server(
                capacity=config.capacity, workdir=work / "model", request_log=request_log
            ) as model,
            local_aws_environ(s3.endpoint_url),
        ):
            boto3.client("s3").create_bucket(Bucket=BUCKET)
            home = work / "dagster_home"
            home.mkdir()
            env = {
                **os.environ,
                **local_aws_env(s3.endpoint_url),
                "DAGSTER_HOME": str(home),
                "REDIS_URL": redis_service.url,
                "REQUESTS_URI": f"s3://{BUCKET}/requests/",
                "RAW_POSTINGS_URI": f"s3://{BUCKET}/raw/",
                "AUGMENTED_POSTINGS_URI": f"s3://{BUCKET}/mod/",
                "QUARANTINE_URI": f"s3://{BUCKET}/quarantine/",
                "STAGING_URI": f"s3://{BUCKET}/staging/",
                "SENIORITY_MODEL_TARGET": model.target,
                "SENIORITY_MODEL_CAPACITY": str(config.capacity),
                "ENRICHMENT_API_KEYS": KEY,
                "ENRICHMENT_LOCAL_STAGE_DIR": str(work / "stage"),
            }
            print("[bench] starting Dagster (code server, webserver, daemon) and the API ...", flush=True)
            dagster = start_dagster(free_port(), home, work / "logs", env)
            try:
                api, url = start_api_process(env, work / "logs" / "api.log")
                try:
                    return measure(config, url, requests_parts, request_log)
                finally:
                    api.stop()
            finally:
                dagster.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(config: ApiBenchConfig, url: str, requests_parts: dict, request_log: Path) -> dict:
    barrier = threading.Barrier(config.clients + 1)
    print(f"[bench] {config.clients} clients pushing, closing and fetching ...", flush=True)
    with ThreadPoolExecutor(config.clients) as pool:
        futures = [
            pool.submit(run_client, url, erid, parts, barrier) for erid, parts in requests_parts.items()
        ]
        barrier.wait()
        started = time.perf_counter()
        results = [future.result() for future in futures]
    push_end = max(result.closed_at for result in results)
    done_end = max(result.done_at for result in results)
    posts = [seconds for result in results for seconds in result.post_seconds]
    distinct = set().union(*(result.pairs for result in results))
    asked, model_requests = model_pairs_asked(request_log)
    lines_sent = sum(
        1 for parts in requests_parts.values() for body in parts for line in body.split(b"\n") if line.strip()
    )

    cached = [{"company": c, "title": t} for c, t in sorted(distinct)]
    print(f"[bench] {config.lookup_clients} clients asking {config.lookup_pairs} cached pairs a call ...")
    with ThreadPoolExecutor(config.lookup_clients) as pool:
        begun = time.perf_counter()
        calls = list(
            pool.map(
                lambda client: lookups(url, cached, config.lookup_calls, config.lookup_pairs, client),
                range(config.lookup_clients),
            )
        )
        lookup_seconds = time.perf_counter() - begun
    asked_after, _ = model_pairs_asked(request_log)
    call_seconds = [seconds for client in calls for seconds in client]
    problems = [f"{result.erid}: {problem}" for result in results for problem in result.problems]
    if asked != len(distinct):
        problems.append(f"the model was asked {asked} pairs for {len(distinct)} distinct normalized pairs")
    if asked_after != asked:
        problems.append(f"cached lookups asked the model {asked_after - asked} pairs")
    return {
        "clients": config.clients,
        "parts_per_client": config.parts,
        "lines_per_part": config.lines,
        "lines_sent": lines_sent,
        "parts_per_second": round(config.clients * config.parts / (push_end - started), 1),
        "lines_per_second_received": round(lines_sent / (push_end - started)),
        "part_post_p50_ms": round(1000 * percentile(posts, 50), 1),
        "part_post_p99_ms": round(1000 * percentile(posts, 99), 1),
        "close_to_done_p50_s": round(percentile([r.done_at - r.closed_at for r in results], 50), 1),
        "close_to_done_max_s": round(max(r.done_at - r.closed_at for r in results), 1),
        "first_post_to_last_done_s": round(done_end - started, 1),
        "distinct_pairs": len(distinct),
        "model_pairs_asked": asked,
        "model_requests": model_requests,
        "lookup_clients": config.lookup_clients,
        "lookup_calls_per_second": round(len(call_seconds) / lookup_seconds, 1),
        "lookup_pairs_per_second": round(len(call_seconds) * config.lookup_pairs / lookup_seconds),
        "lookup_p50_ms": round(1000 * percentile(call_seconds, 50), 1),
        "lookup_p99_ms": round(1000 * percentile(call_seconds, 99), 1),
        "problems": problems,
    }
