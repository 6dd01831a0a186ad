"""resources/deploy/iam-policy.json proven by running under it: moto's server enforces IAM, a user whose only
policy is the shipped one (the test's bucket and queue substituted) runs the whole flow, and the requests moto
recorded give the grants the flow needs, to compare with the policy both ways. Without one of its statements
the step that needs it fails, naming the denied action."""

import io
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import dagster as dg
import orjson
import pytest
import yaml
from dagster._core.storage.compute_log_manager import ComputeIOType

from enrichment_platform.api.intake import RequestClosedError
from enrichment_platform.defs.assets import augmented, exported
from enrichment_platform.defs.assets.warehouse import postings_warehouse
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.pipeline.upload import MIN_PART_BYTES
from enrichment_platform_tests.support.api_server import run_api_server
from enrichment_platform_tests.support.harness import (
    DEPLOY,
    Bucket,
    failure_messages,
    process_request,
    run_flow,
    sensor_tick,
)
from enrichment_platform_tests.support.iam import (
    REGION,
    IamAws,
    Keys,
    Operation,
    allowed,
    data_statements,
    grant_parts,
    iam_aws,
    policy_for,
    used_by,
)

pytestmark = pytest.mark.integration

DAY, T0 = "2024-07-17", 1721174400
RAW, OUT, QUARANTINE, STAGING, REQUESTS = (
    "job-postings-raw",
    "job-postings-mod",
    "job-postings-quarantine",
    "enrichment-staging",
    "enrichment-requests",
)
DEAD_LETTERS = f"{STAGING}/dead-letter"
LEVELS = f"{STAGING}/seniority_augmented_postings/{DAY}"
API_KEY = "iam-test-key"


def postings(*titles: str) -> bytes:
    return b"".join(
        orjson.dumps({"url": f"u-{title}", "company": "Acme", "title": title}) + b"\n" for title in titles
    )


CLEAN = postings("Data Engineer", "CFO")
WITH_BAD_LINE = postings("Accounting Intern") + b"{not json\n"


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    with iam_aws(tmp_path_factory.mktemp("iam-aws")) as started:
        yield started


@dataclass
class Deployment:
    """The test's bucket and queue, and the user the platform runs as."""

    bucket: Bucket  # with the admin's client: what the scraper and the test do
    queue_url: str
    keys: Keys
    policy: dict  # the shipped policy, this test's bucket and queue substituted


@pytest.fixture
def deploy(aws: IamAws, monkeypatch, clean_redis, model_target, warehouse_schema):
    """Creates the test's bucket, queue and platform user (the shipped policy minus the statements named), and
    points this process' platform settings and AWS credentials at them."""

    def create(without: tuple[str, ...] = ()) -> Deployment:
        name, queue_url = aws.create_bucket_and_queue(f"{RAW}/")
        policy = policy_for(name, queue_url.rsplit("/", 1)[1], without)
        keys = aws.create_user(policy)
        for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "RAW_POSTINGS_QUEUE_URL"):
            monkeypatch.delenv(variable, raising=False)
        env = {
            "AWS_ENDPOINT_URL": aws.endpoint_url,
            "AWS_DEFAULT_REGION": REGION,
            **keys.env(),
            "RAW_POSTINGS_URI": f"s3://{name}/{RAW}/",
            "AUGMENTED_POSTINGS_URI": f"s3://{name}/{OUT}/",
            "QUARANTINE_URI": f"s3://{name}/{QUARANTINE}/",
            "STAGING_URI": f"s3://{name}/{STAGING}/",
            "REQUESTS_URI": f"s3://{name}/{REQUESTS}/",
            "DAGSTER_COMPUTE_LOGS_BUCKET": name,
            "REDIS_URL": clean_redis,
            "SENIORITY_MODEL_TARGET": model_target,
            "SENIORITY_MODEL_CAPACITY": "0",
        }
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        # boto3's default session keeps the credentials it first read (another test's): clients made from it
        # (Dagster's S3 compute log manager) must read these.
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        bucket = Bucket(name)
        bucket.client = aws.client("s3")
        return Deployment(bucket, queue_url, keys, policy)

    return create


@contextmanager
def deployed_instance(local_dir):
    """A test instance whose compute logs go to S3 as dagster.ecs.yaml sends them (to the test's bucket)."""
    compute_logs = yaml.safe_load((DEPLOY / "dagster.ecs.yaml").read_text())["compute_logs"]
    compute_logs["config"]["local_dir"] = str(local_dir)
    with dg.instance_for_test(overrides={"compute_logs": compute_logs}) as instance:
        yield instance


def read_logs_as_the_webserver(run_id: str, local_dir) -> str:
    """A run's captured stderr as the webserver shows it: listed and downloaded from S3 (no local copy)."""
    with deployed_instance(local_dir) as webserver:
        manager = webserver.compute_log_manager
        (log_key,) = manager.get_log_keys_for_log_key_prefix([run_id, "compute_logs"], ComputeIOType.STDERR)
        data, _ = manager.get_log_data_for_type(log_key, ComputeIOType.STDERR, offset=0, max_bytes=None)
        return (data or b"").decode()


def archived(bucket: Bucket, name: str, data: bytes) -> None:
    """A raw file a lifecycle rule moved to Glacier: listed, but S3 refuses to GET it (dead-lettered)."""
    bucket.client.put_object(Bucket=bucket.name, Key=f"{RAW}/{name}", Body=data, StorageClass="GLACIER")


def dead_letter_errors(bucket: Bucket) -> dict[str, str]:
    """`<asset>/<partition>/<file>.json` -> the error of every file set aside (a denial shows here)."""
    return {
        name: orjson.loads(bucket.get(DEAD_LETTERS, name))["error"] for name in bucket.names(DEAD_LETTERS)
    }


def run_the_whole_flow(deployment: Deployment, instance, tmp_path, monkeypatch) -> None:
    """Every path of the platform that touches S3 or SQS, as the platform's user."""
    bucket = deployment.bucket
    kept_bad, fixed_bad, restored = (f"{T0 + 60 * i}.jsonl" for i in (2, 3, 4))
    bucket.put(RAW, f"{T0 + 60}.jsonl", CLEAN)
    bucket.put(RAW, kept_bad, WITH_BAD_LINE)
    bucket.put(RAW, fixed_bad, WITH_BAD_LINE)
    archived(bucket, restored, CLEAN)

    # The sensor, listing the raw prefix, then reading its events from the queue (a second tick deletes them).
    assert [request.partition_key for request in sensor_tick(instance).run_requests] == [DAY]
    monkeypatch.setenv("RAW_POSTINGS_QUEUE_URL", deployment.queue_url)
    first = sensor_tick(instance)
    assert [request.partition_key for request in first.run_requests] == [DAY]
    assert sensor_tick(instance, cursor=first.cursor).run_requests == []
    monkeypatch.delenv("RAW_POSTINGS_QUEUE_URL")

    # The three assets: a file dead-lettered, bad lines quarantined.
    result = run_flow(instance, DAY)
    assert result.success, failure_messages(result)
    errors = dead_letter_errors(bucket)
    assert list(errors) == [f"raw_job_postings/{DAY}/{restored}.json"], errors
    assert "InvalidObjectState" in errors[f"raw_job_postings/{DAY}/{restored}.json"]
    assert bucket.names(QUARANTINE) == [kept_bad, fixed_bad]

    # Restored and fixed upstream: the dead letter and the stale quarantine go; a full refresh replaces the
    # staged levels, and the unreferenced batch is removed at once.
    batches = set(bucket.names(LEVELS)) - {"_manifest.json"}
    assert batches
    bucket.put(RAW, restored, CLEAN)
    bucket.put(RAW, fixed_bad, CLEAN)
    monkeypatch.setattr(augmented, "UNREFERENCED_BATCH_SECONDS", -60.0)
    result = run_flow(instance, DAY, full_refresh=True)
    assert result.success, failure_messages(result)
    errors = dead_letter_errors(bucket)
    assert not errors, "files set aside:\n" + "\n".join(f"{name}: {error}" for name, error in errors.items())
    assert bucket.names(QUARANTINE) == [kept_bad]
    assert not set(bucket.names(LEVELS)) & batches
    assert len(bucket.names(OUT)) == 4

    # The warehouse in a run of its own: it reads the outputs and the quarantine from S3.
    loaded = dg.materialize(
        [postings_warehouse], partition_key=DAY, resources=default_resources(), instance=instance
    )
    assert loaded.success

    # A file larger than a chunk is exported by a multipart upload; one that fails midway is aborted.
    big_day, big_file = "2024-07-18", f"{T0 + 86_400 + 60}.jsonl"
    bucket.put(RAW, big_file, postings(*(f"Engineer {n % 500}" for n in range(80_000))))
    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", str(1024 * 1024))
    whole_parts = exported.filled_parts

    def parts_then_a_failure(*args):
        made = 0
        for part in whole_parts(*args):
            yield part
            made += len(part)
            if made >= MIN_PART_BYTES:  # a part is uploaded
                raise RuntimeError("the export stops midway")

    monkeypatch.setattr(exported, "filled_parts", parts_then_a_failure)
    assert run_flow(instance, big_day).success  # the file is set aside, the step goes on
    assert (
        "the export stops midway"
        in dead_letter_errors(bucket)[f"exported_job_postings/{big_day}/{big_file}.json"]
    )
    assert bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", []) == []
    assert big_file not in bucket.names(OUT)
    monkeypatch.setattr(exported, "filled_parts", whole_parts)
    big_run = run_flow(instance, big_day, full_refresh=True)
    assert big_run.success, failure_messages(big_run)
    assert big_file in bucket.names(OUT) and not dead_letter_errors(bucket)

    # The push API: parts, close, status, results; a part refused after the close is deleted again.
    erid = f"req-{uuid.uuid4().hex[:8]}"
    with run_api_server({**os.environ, "ENRICHMENT_API_KEYS": API_KEY}, tmp_path) as api:
        assert api.get("/readyz").status_code == 200, api.get("/readyz").text
        assert api.post_part(erid, CLEAN).status_code == 202
        assert api.post_part(erid, WITH_BAD_LINE, **{"Idempotency-Key": "second"}).status_code == 202
        assert api.post_part(erid, WITH_BAD_LINE, **{"Idempotency-Key": "second"}).json()["part"] == 2
        assert api.post(f"/v1/requests/{erid}/close").status_code == 202
        assert api.get(f"/v1/requests/{erid}").json()["status"] == "processing"
        with dg.build_resources({"requests": default_resources()["requests"]}) as resources:
            with pytest.raises(RequestClosedError):
                resources.requests.store().store_part(erid, io.BytesIO(CLEAN), 2, len(CLEAN), "")
        assert len(bucket.names(f"{REQUESTS}/{erid}/parts")) == 2

        processed = process_request(instance, erid)
        assert processed.success, failure_messages(processed)
        assert process_request(instance, erid).success  # again: the old result is removed first

        assert api.get(f"/v1/requests/{erid}").json()["status"] == "done"
        assert len(api.get(f"/v1/requests/{erid}/output").content.splitlines()) == 3
        assert len(api.get(f"/v1/requests/{erid}/quarantine").content.splitlines()) == 1

    assert "seniority_augmented_postings" in read_logs_as_the_webserver(result.run_id, tmp_path / "webserver")


def test_the_whole_flow_runs_under_the_shipped_policy_and_needs_every_grant_of_it(
    aws, deploy, tmp_path, monkeypatch
):
    deployment = deploy()
    aws.start_recording_anew()
    with deployed_instance(tmp_path / "compute-logs") as instance:
        run_the_whole_flow(deployment, instance, tmp_path, monkeypatch)

    performed = set(aws.operations(deployment.keys))
    # (a) Every request the platform made is one the shipped policy allows (s3:prefix conditions included,
    # which moto's server does not evaluate).
    refused = sorted(str(operation) for operation in performed if not allowed(deployment.policy, operation))
    assert not refused, "the flow needs grants iam-policy.json lacks:\n" + "\n".join(refused)
    # (b) Nothing broader: every action, resource and s3:prefix of the S3 and SQS statements serves a request.
    # The ECS, EC2, iam:PassRole and logs statements serve the EcsRunLauncher (launching, watching and
    # stopping run tasks, reading their logs); no local ECS runs tasks, so test_deploy.py checks them.
    unused = [
        f"{statement['Sid']}: {action} on {resource}" + (f" with {choice[1]} {choice[2]!r}" if choice else "")
        for statement in data_statements(deployment.policy)
        for action, resource, choice in grant_parts(statement)
        if not any(used_by(statement, (action, resource, choice), operation) for operation in performed)
    ]
    assert not unused, "iam-policy.json grants what no request of the flow needs:\n" + "\n".join(unused)


def fails_removing_staged_batches(deployment: Deployment, instance, monkeypatch) -> str:
    deployment.bucket.put(RAW, f"{T0 + 60}.jsonl", CLEAN)
    assert run_flow(instance, DAY).success
    monkeypatch.setattr(augmented, "UNREFERENCED_BATCH_SECONDS", -60.0)
    result = run_flow(instance, DAY, full_refresh=True)
    assert not result.success
    return failure_messages(result)


def fails_the_first_step(deployment: Deployment, instance, monkeypatch) -> str:
    deployment.bucket.put(RAW, f"{T0 + 60}.jsonl", CLEAN)
    result = run_flow(instance, DAY)
    assert not result.success
    return failure_messages(result)


def fails_the_queued_tick(deployment: Deployment, instance, monkeypatch) -> str:
    monkeypatch.setenv("RAW_POSTINGS_QUEUE_URL", deployment.queue_url)
    deployment.bucket.put(RAW, f"{T0 + 60}.jsonl", CLEAN)
    with pytest.raises(Exception) as failure:
        sensor_tick(instance)
    return str(failure.value)


@pytest.mark.parametrize(
    ("statement", "scenario", "denied"),
    [
        ("ClearStagedObjects", fails_removing_staged_batches, "s3:DeleteObject"),
        ("ReadWriteStagingAndComputeLogs", fails_the_first_step, "s3:GetObject"),
        ("ListThePlatformPrefixes", fails_the_first_step, "s3:ListBucket"),
        ("ReceiveAndDeleteRawFileEvents", fails_the_queued_tick, "sqs:ReceiveMessage"),
    ],
)
def test_without_a_needed_statement_the_step_fails_naming_the_denied_action(
    deploy, instance, monkeypatch, statement, scenario, denied
):
    deployment = deploy(without=(statement,))

    message = scenario(deployment, instance, monkeypatch)

    assert "AccessDenied" in message and denied in message, message


def test_reading_the_policy_honours_the_prefix_condition_and_the_resource_wildcards():
    policy = policy_for("b", "q")
    bucket, listing = "arn:aws:s3:::b", "s3:ListBucket"

    assert allowed(policy, Operation(listing, bucket, (("s3:prefix", f"{RAW}/"),)))
    assert not allowed(policy, Operation(listing, bucket, (("s3:prefix", ""),)))  # the whole bucket
    # No prefix at all: HeadBucket, and S3 deciding whether a missing key answers 404 rather than 403.
    assert allowed(policy, Operation(listing, bucket))
    assert allowed(policy, Operation("s3:DeleteObject", f"{bucket}/{STAGING}/x/levels-1"))
    assert not allowed(policy, Operation("s3:DeleteObject", f"{bucket}/{RAW}/1.jsonl"))
    assert not allowed(policy, Operation("s3:GetObject", f"arn:aws:s3:::other/{RAW}/1.jsonl"))
    assert not allowed(policy, Operation("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:q-other"))
    assert not allowed(
        policy_for("b", "q", without=("ClearStagedObjects",)),
        Operation("s3:DeleteObject", f"{bucket}/{STAGING}/x/levels-1"),
    )
