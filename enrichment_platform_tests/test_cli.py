"""The documented command line, against a model server built only from the proto (no version metadata)."""

import os
import shutil
import subprocess
import sys
from concurrent import futures

import grpc
import orjson
import pytest

from enrichment_platform.devstack.processes import free_port
from enrichment_platform.seniority import seniority_pb2, seniority_pb2_grpc
from enrichment_platform_tests.support.harness import REPO, materialize_date_arguments

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = 1721174400


class ProtoOnlyModel(seniority_pb2_grpc.SeniorityModelServicer):
    """A third-party model server: the proto and nothing else."""

    def __init__(self):
        self.pairs = 0

    def InferSeniority(self, request, context):
        self.pairs += len(request.batch)
        return seniority_pb2.SeniorityResponseBatch(
            batch=[
                seniority_pb2.SeniorityResponse(uuid=item.uuid, seniority=1 + len(item.title) % 7)
                for item in request.batch
            ]
        )


@pytest.fixture
def proto_only_model():
    servicer = ProtoOnlyModel()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    seniority_pb2_grpc.add_SeniorityModelServicer_to_server(servicer, server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    yield f"127.0.0.1:{port}", servicer
    server.stop(grace=None)


def test_dagster_asset_materialize_processes_a_date(bucket, platform_env, proto_only_model, tmp_path):
    target, servicer = proto_only_model
    data = (
        b"".join(
            orjson.dumps({"url": f"u{i}", "company": "Acme", "title": f"Engineer {i % 5}", "scraped_on": T0})
            + b"\n"
            for i in range(50)
        )
        + b"{broken\n"
    )
    bucket.put("job-postings-raw", f"{T0 + 1}.jsonl", data)
    (tmp_path / "home").mkdir()
    shutil.copy(REPO / "dagster.yaml", tmp_path / "home" / "dagster.yaml")  # as a deployment has it
    env = {
        **os.environ,
        "SENIORITY_MODEL_TARGET": target,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ENRICHMENT_LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "dagster", *materialize_date_arguments("2024-07-17")]
    completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]

    output = bucket.get("job-postings-mod", f"{T0 + 1}.jsonl").splitlines()
    assert len(output) == 50
    assert all(
        orjson.loads(line)["seniority"] == 1 + len(f"engineer {i % 5}") % 7 for i, line in enumerate(output)
    )
    assert servicer.pairs == 5
    assert len(bucket.get("job-postings-quarantine", f"{T0 + 1}.jsonl").splitlines()) == 1
    # ENRICHMENT_LOG_FORMAT=json: the run's log records are JSON lines on stdout, saying where they come from.
    entries = [orjson.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    steps = {entry.get("step") for entry in entries if entry.get("partition") == "2024-07-17"}
    assert {"raw_job_postings", "seniority_augmented_postings"} <= steps
    assert all(entry["run_id"] for entry in entries if "step" in entry)
