"""run_failure_webhook against a real failed partition run and a local HTTP server as the webhook."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from enrichment_platform.defs.alerts import run_failure_webhook
from enrichment_platform.defs.checks.contract import conservation
from enrichment_platform.defs.incidents import check_failure_alerts, raw_silence_alert
from enrichment_platform.defs.resources import default_resources
from enrichment_platform.devstack.processes import free_port
from enrichment_platform_tests.support.dagster_dev import dagster_dev
from enrichment_platform_tests.support.harness import CHECKS, FLOW, run_flow

pytestmark = pytest.mark.integration

SECRET_PATH = "/hooks/T000/B000/s3cr3t-token"


class Webhook:
    """A local HTTP endpoint recording each POSTed JSON body, answering the scripted statuses, then 200."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = webhook.statuses.pop(0) if webhook.statuses else 200
                if status == 200:
                    webhook.received.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{SECRET_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook(monkeypatch):
    servers = []

    def start(statuses: list[int] = ()) -> Webhook:
        server = Webhook(statuses)
        servers.append(server)
        monkeypatch.setenv("ENRICHMENT_ALERT_WEBHOOK_URL", server.url)
        return server

    yield start
    for server in servers:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def instance():
    with dg.instance_for_test(
        overrides={"run_retries": {"enabled": True, "max_retries": 2}}
    ) as instance:  # as in dagster.yaml
        yield instance


def tick(instance, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
        return run_failure_webhook.evaluate_tick(context)


def evaluate_after(instance, fail):
    """The sensor's tick after `fail()` failed a run (a run status sensor starts from the newest event, so a
    first tick comes before): the failed run and the evaluation."""
    first = tick(instance)
    run = fail()
    assert run.status == dg.DagsterRunStatus.FAILURE
    return run, tick(instance, first.cursor)


@dg.op
def broken_step():
    raise RuntimeError("the model server is down")


@dg.job
def broken_job():
    broken_step()


def fail_small_job(instance):
    return broken_job.execute_in_process(instance=instance, raise_on_error=False).dagster_run


def test_failed_partition_run_is_posted_with_its_partition_failing_step_and_cause(
    bucket, instance, webhook, monkeypatch
):
    server = webhook()
    bucket.put("job-postings-raw", "1721174401.jsonl", b'{"company": "Acme", "title": "Head of Legal"}\n')
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # Redis is down
    run, evaluation = evaluate_after(instance, lambda: run_flow(instance, "2024-07-17").dagster_run)

    assert [reaction.error for reaction in evaluation.dagster_run_reactions] == [None]
    [alert] = server.received
    assert alert["run_id"] == run.run_id
    assert alert["partition"] == "2024-07-17"
    assert alert["will_retry"] is True  # run retries are on and none was used yet
    assert list(alert["failed_steps"]) == ["seniority_augmented_postings"]
    assert "Redis" in alert["failed_steps"]["seniority_augmented_postings"]
    assert (
        alert["text"].startswith(f"Run {run.run_id[:8]} of ")
        and "for 2024-07-17 failed (a retry follows)" in alert["text"]
    )


def test_webhook_answering_5xx_is_retried_until_it_accepts_the_alert(instance, webhook):
    server = webhook(statuses=[503])
    _, evaluation = evaluate_after(instance, lambda: fail_small_job(instance))

    assert [reaction.error for reaction in evaluation.dagster_run_reactions] == [None]
    [alert] = server.received
    assert alert["failed_steps"] == {"broken_step": "RuntimeError: the model server is down"}


def test_refused_alert_fails_the_tick_naming_the_webhook_host_but_not_its_secret_path(instance, webhook):
    server = webhook(statuses=[404])
    _, evaluation = evaluate_after(instance, lambda: fail_small_job(instance))

    [reaction] = evaluation.dagster_run_reactions
    error = str(reaction.error)
    assert f"127.0.0.1:{server.server.server_port} answered HTTP 404 after 1 attempt(s)" in error
    assert SECRET_PATH not in error
    assert server.received == []


def test_without_a_webhook_url_failed_runs_are_skipped(instance, monkeypatch):
    monkeypatch.delenv("ENRICHMENT_ALERT_WEBHOOK_URL", raising=False)
    _, evaluation = evaluate_after(instance, lambda: fail_small_job(instance))

    assert evaluation.skip_message == "ENRICHMENT_ALERT_WEBHOOK_URL is not set"


def check_tick(instance, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
        result = check_failure_alerts(context)
    return result.cursor


def test_a_dead_letter_and_a_failed_conservation_are_each_posted_once_per_incident(bucket, instance, webhook):
    server = webhook()
    cursor = check_tick(instance)  # the first tick starts from now
    bucket.put("job-postings-raw", "1721174401.jsonl", b'{"company": "Acme", "title": "CFO"}\n')
    bucket.client.put_object(  # archived by a lifecycle rule: listed, but S3 refuses to GET it
        Bucket=bucket.name, Key="job-postings-raw/1721174460.jsonl", Body=b"{}\n", StorageClass="GLACIER"
    )
    assert run_flow(instance, "2024-07-17").success  # the archived file is dead-lettered, the rest goes on
    cursor = check_tick(instance, cursor)
    # The dead letter, and the missing output it causes (both ERROR checks of the partition).
    alerts = {alert["check"]: alert for alert in server.received}
    assert sorted(alerts) == ["no_dead_lettered_files", "one_output_per_input"]
    dead_letter = alerts["no_dead_lettered_files"]
    assert dead_letter["kind"] == "check_failed"
    assert (dead_letter["asset"], dead_letter["partition"]) == ("raw_job_postings", "2024-07-17")
    assert "1721174460.jsonl" in dead_letter["text"] and dead_letter["since"]

    run_flow(instance, "2024-07-17")  # still dead-lettered: the same incident, not posted again
    bucket.put("job-postings-raw", "1721174520.jsonl", b'{"company": "Acme", "title": "CFO"}\n')
    dg.materialize(  # validated but not augmented: conservation fails
        [*FLOW, *CHECKS],
        selection=dg.AssetSelection.assets(FLOW[0]).without_checks() | dg.AssetSelection.checks(conservation),
        partition_key="2024-07-17",
        resources=default_resources(),
        instance=instance,
        raise_on_error=False,
    )
    check_tick(instance, cursor)
    [conservation_alert] = server.received[2:]  # the dead letter was not posted again
    assert conservation_alert["check"] == "conservation"
    assert "1721174520.jsonl: validated but not augmented yet" in conservation_alert["text"]


def test_a_silent_scraper_is_posted_once_until_files_come_back(bucket, instance, webhook, monkeypatch):
    server = webhook()
    monkeypatch.setenv("RAW_MAX_SILENCE_MINUTES", "15")
    now = int(time.time())
    bucket.put("job-postings-raw", f"{now - 40 * 60}.jsonl", b'{"company": "Acme", "title": "CFO"}\n')

    def tick(cursor=None):
        with dg.build_sensor_context(
            instance=instance, cursor=cursor, resources=default_resources()
        ) as context:
            raw_silence_alert(context)
            return context.cursor

    cursor = tick()
    [alert] = server.received
    assert alert["kind"] == "raw_silence" and alert["where"].endswith("/job-postings-raw/")
    assert 39 <= alert["silent_minutes"] <= 41 and "15 minutes" in alert["text"]
    cursor = tick(cursor)
    assert len(server.received) == 1  # the same incident
    bucket.put("job-postings-raw", f"{now}.jsonl", b'{"company": "Acme", "title": "CFO"}\n')
    assert tick(cursor) == ""  # files are back: the next silence is a new incident
    assert len(server.received) == 1


@pytest.mark.slow
def test_the_daemon_posts_a_silent_scraper_with_no_file_landing_and_no_run(bucket, webhook, tmp_path):
    server = webhook()  # the bucket has no raw file at all

    with dagster_dev(tmp_path, {"RAW_MAX_SILENCE_MINUTES": "15"}) as dev:
        [alert] = dev.wait_for(lambda: server.received, "the daemon posted no silence alert")

        assert alert["kind"] == "raw_silence" and alert["where"] == f"s3://{bucket.name}/job-postings-raw/"
        assert "for 15 minutes or more: nothing in the last day at least" in alert["text"]
        runs = dev.graphql("query { runsOrError { ... on Runs { results { runId } } } }")
        assert runs == {"runsOrError": {"results": []}}
