"""`dagster dev` on the real workspace: a run launched over GraphQL and the sensor's own runs succeed."""

import dagster as dg
import pytest
import sqlalchemy.exc
from dagster_graphql import DagsterGraphQLClient

from enrichment_platform_tests.support.dagster_dev import dagster_dev as running_dagster_dev

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = 1721174400  # 2024-07-17


@pytest.fixture
def dagster_dev(bucket, tmp_path):
    with running_dagster_dev(tmp_path, {"PARTITIONS_START_DATE": "2024-07-01"}) as dev:
        yield dev


def test_graphql_launched_run_and_sensor_runs_succeed(bucket, dagster_dev):
    bucket.put(
        "job-postings-raw", f"{T0 + 5}.jsonl", b'{"company": "Acme", "title": "Chief Financial Officer"}\n'
    )

    client = DagsterGraphQLClient("127.0.0.1", port_number=dagster_dev.port)
    run_id = client.submit_job_execution(
        "enrich_postings_job",
        repository_location_name="enrichment_platform",
        repository_name="__repository__",
        tags={"dagster/partition": "2024-07-17"},
    )
    finished = {"SUCCESS", "FAILURE", "CANCELED"}
    status = dagster_dev.wait_for(
        lambda: (s := client.get_run_status(run_id).value) in finished and s, "the launched run did not end"
    )
    assert status == "SUCCESS"
    assert bucket.get("job-postings-mod", f"{T0 + 5}.jsonl").startswith(b'{"company": "Acme"')

    # The sensor is on by default: its first tick sees the file and starts a run of its own.
    with dg.DagsterInstance.from_config(str(dagster_dev.home)) as instance:

        def sensor_run_status():
            try:
                runs = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": "raw_postings_sensor"}))
            except sqlalchemy.exc.OperationalError:
                return None  # the daemon is writing the SQLite storage right now: ask again
            return runs and runs[0].status.value in finished and runs[0].status.value

        assert dagster_dev.wait_for(sensor_run_status, "no sensor run ended") == "SUCCESS"
