"""The cloud deployments in resources/deploy/, validated by loading them: the ECS instance config builds its
EcsRunLauncher against the task definition registered in a local ECS API (moto), the IAM policies are
accepted by IAM and grant what the launcher and the assets call, and the helm values render a
K8sRunLauncher."""

import json
import re
import uuid
from fnmatch import fnmatchcase

import boto3
import dagster as dg
import pytest
import yaml
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_k8s import K8sRunLauncher

from enrichment_platform_tests.support.harness import (
    DEPLOY,
    REPO,
    deploy_json,
    instance_from_file,
    operating_settings,
)

pytestmark = pytest.mark.integration

TASK_DEFINITION = deploy_json("ecs-task-definition.json")
RUN_CONTAINER = TASK_DEFINITION["containerDefinitions"][0]
RUN_ENVIRONMENT = {item["name"]: item["value"] for item in RUN_CONTAINER["environment"]}
RUN_SECRETS = {item["name"]: item["valueFrom"] for item in RUN_CONTAINER["secrets"]}
# What a run of the flow reads without a usable default in production; the secrets hold passwords.
FLOW_SECRETS = {"REDIS_URL", "WAREHOUSE_URL"}
FLOW_VARIABLES = FLOW_SECRETS | {
    "RAW_POSTINGS_URI",
    "AUGMENTED_POSTINGS_URI",
    "QUARANTINE_URI",
    "STAGING_URI",
    "REQUESTS_URI",
    "SENIORITY_MODEL_TARGET",
    "WAREHOUSE_SCHEMA",
}
API_TASK_DEFINITION = deploy_json("ecs-api-task-definition.json")
API_SERVICE = deploy_json("ecs-api-service.json")
# What the push API reads without a usable default in production; its keys are secrets.
API_SECRETS = {"REDIS_URL", "ENRICHMENT_API_KEYS"}
API_VARIABLES = API_SECRETS | {"REQUESTS_URI", "SENIORITY_MODEL_TARGET"}


def local_operating_settings(tmp_path):
    with instance_from_file(REPO / "dagster.yaml", tmp_path / "local") as local:
        return operating_settings(local)


@pytest.fixture
def ecs_env(s3_endpoint, pg_env, monkeypatch):
    """A local ECS API with the run task definition registered; returns its ARN."""
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_BUCKET", "compute-logs")
    # boto3 validates every field against the ECS API model before sending: a misspelt key fails here.
    registered = boto3.client("ecs").register_task_definition(**TASK_DEFINITION)["taskDefinition"]
    return registered["taskDefinitionArn"]


def test_ecs_instance_config_builds_the_launcher_on_the_registered_task_definition(ecs_env, tmp_path):
    with instance_from_file(DEPLOY / "dagster.ecs.yaml", tmp_path / "home") as instance:
        launcher = instance.run_launcher  # config checked against dagster-aws' schema, then constructed

        assert isinstance(launcher, EcsRunLauncher)
        assert (
            launcher.task_definition == ecs_env
        )  # resolved by DescribeTaskDefinition, container "run" found
        assert launcher.container_name == RUN_CONTAINER["name"]
        assert launcher.secrets_tags == []
        assert launcher.propagate_tags == {"allow_list": ["dagster/partition", "dagster/backfill"]}
        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
        assert operating_settings(instance) == local_operating_settings(tmp_path)


def test_ecs_launcher_config_with_a_misspelt_field_is_refused(ecs_env, tmp_path):
    config = (DEPLOY / "dagster.ecs.yaml").read_text().replace("container_name:", "container_nmae:")
    (tmp_path / "dagster.ecs.yaml").write_text(config)
    with instance_from_file(tmp_path / "dagster.ecs.yaml", tmp_path / "home") as instance:
        with pytest.raises(dg.DagsterInvalidConfigError, match="container_nmae"):
            instance.run_launcher  # noqa: B018


def env_names(config) -> set[str]:
    """Every `{env: NAME}` an instance config reads."""
    if isinstance(config, dict):
        if set(config) == {"env"}:
            return {config["env"]}
        return set().union(*(env_names(value) for value in config.values()))
    if isinstance(config, list):
        return set().union(*(env_names(value) for value in config))
    return set()


def test_ecs_run_task_carries_every_variable_the_instance_config_and_the_flow_read():
    instance_config = yaml.safe_load((DEPLOY / "dagster.ecs.yaml").read_text())
    # The run worker loads the instance (its storage, its compute logs) inside the run task.
    needed = env_names(instance_config) | FLOW_VARIABLES
    assert needed <= set(RUN_ENVIRONMENT) | set(RUN_SECRETS)
    # Passwords come from Secrets Manager.
    assert not set(RUN_ENVIRONMENT) & ({"DAGSTER_PG_PASSWORD"} | FLOW_SECRETS)


def allows(policy: dict, action: str, resource: str) -> bool:
    """Whether an Allow statement matches the action and the resource (conditions aside)."""

    def listed(value):
        return value if isinstance(value, list) else [value]

    return any(
        statement["Effect"] == "Allow"
        and any(fnmatchcase(action, pattern) for pattern in listed(statement["Action"]))
        and any(fnmatchcase(resource, pattern) for pattern in listed(statement["Resource"]))
        for statement in policy["Statement"]
    )


def test_iam_policies_are_accepted_by_iam_and_grant_what_the_launcher_calls(s3_endpoint):
    policies = {}
    for name in ("iam-policy.json", "iam-execution-policy.json"):
        document = (DEPLOY / name).read_text()
        # IAM's own grammar check (the local IAM API rejects malformed documents like AWS does).
        boto3.client("iam").create_policy(
            PolicyName=f"{name[:-5]}-{uuid.uuid4().hex[:8]}", PolicyDocument=document
        )
        policies[name] = json.loads(document)
    task, execution = policies["iam-policy.json"], policies["iam-execution-policy.json"]

    # The S3 and SQS grants are derived from the requests a whole flow makes under the policy:
    # test_iam_policy.py. Here, the calls of the ECS run launcher, which cannot run locally.
    # What EcsRunLauncher calls to start, watch, stop and explain a run task.
    region = RUN_CONTAINER["logConfiguration"]["options"]["awslogs-region"]
    region_account = f"{region}:{TASK_DEFINITION['executionRoleArn'].split(':')[4]}"
    run_task_arn = f"arn:aws:ecs:{region_account}:task/enrichment-platform/0123456789abcdef"
    assert allows(
        task, "ecs:RunTask", f"arn:aws:ecs:{region_account}:task-definition/{TASK_DEFINITION['family']}:7"
    )
    for action in ("ecs:DescribeTasks", "ecs:StopTask", "ecs:TagResource"):
        assert allows(task, action, run_task_arn), action
    assert allows(task, "ecs:DescribeTaskDefinition", "*")
    assert allows(task, "ec2:DescribeNetworkInterfaces", "*")
    for role in (TASK_DEFINITION["taskRoleArn"], TASK_DEFINITION["executionRoleArn"]):
        assert allows(task, "iam:PassRole", role), role
    log_group = RUN_CONTAINER["logConfiguration"]["options"]["awslogs-group"]
    log_stream = f"arn:aws:logs:{region_account}:log-group:{log_group}:log-stream:run/run/abc"
    assert allows(task, "logs:GetLogEvents", log_stream)

    # What ECS itself needs to start the task: the image, the secrets, the log stream.
    for secret in RUN_SECRETS.values():
        assert allows(execution, "secretsmanager:GetSecretValue", secret + "-AbCdEf"), secret
    image_repository = RUN_CONTAINER["image"].split("/", 1)[1].split(":")[0]
    assert allows(
        execution, "ecr:BatchGetImage", f"arn:aws:ecr:{region_account}:repository/{image_repository}"
    )
    assert allows(execution, "logs:PutLogEvents", log_stream)
    assert not allows(task, "secretsmanager:GetSecretValue", next(iter(RUN_SECRETS.values())))


def k8s_objects_to_create(values_text: str) -> dict[str, set[str]]:
    """ConfigMap or Secret name -> the variables that the values file's opening comment says to put in it."""
    comment = " ".join(line.lstrip("#").strip() for line in values_text.splitlines() if line.startswith("#"))
    return {
        name: set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", listed))
        for name, listed in re.findall(r"- (?:ConfigMap|Secret) `([^`]+)`: ([^;]+);", comment)
    }


def test_k8s_values_have_every_variable_the_flow_reads_created_with_the_passwords_in_the_secret():
    text = (DEPLOY / "k8s-values.yaml").read_text()
    deployment = yaml.safe_load(text)["dagster-user-deployments"]["deployments"][0]
    (config_map,) = [item["name"] for item in deployment["envConfigMaps"]]
    (secret,) = [item["name"] for item in deployment["envSecrets"]]
    objects = k8s_objects_to_create(text)

    assert FLOW_SECRETS <= objects[secret]
    assert not objects[config_map] & FLOW_SECRETS
    assert FLOW_VARIABLES <= objects[config_map] | objects[secret]
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]  # run pods get them too


SNAKE_RUN_K8S_CONFIG = {
    "containerConfig": "container_config",
    "podSpecConfig": "pod_spec_config",
    "podTemplateSpecMetadata": "pod_template_spec_metadata",
    "jobSpecConfig": "job_spec_config",
    "jobMetadata": "job_metadata",
}


def render_instance(values: dict, namespace: str) -> dict:
    """The parts of dagster.yaml that Dagster's helm chart (templates/helpers/instance/) renders from these
    values: storage, run launcher, run coordinator, concurrency, retries and monitoring."""
    pg = values["postgresql"]
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    daemon = values["dagsterDaemon"]
    pools, runs = values["concurrency"]["pools"], values["concurrency"]["runs"]
    postgres_db = {
        "username": pg["postgresqlUsername"],
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "hostname": pg["postgresqlHost"],
        "db_name": pg["postgresqlDatabase"],
        "port": pg["service"]["port"],
        "params": pg.get("postgresqlParams", {}),
        "scheme": pg["postgresqlScheme"],
    }
    return {
        "storage": {"postgres": {"postgres_db": postgres_db}},
        "run_launcher": {
            "module": "dagster_k8s",
            "class": "K8sRunLauncher",
            "config": {
                "load_incluster_config": launcher["loadInclusterConfig"],
                "job_namespace": launcher.get("jobNamespace") or namespace,
                "image_pull_policy": launcher["imagePullPolicy"],
                "service_account_name": values["serviceAccount"]["name"],
                "dagster_home": "/opt/dagster/dagster_home",
                "instance_config_map": "dagster-instance",
                "postgres_password_secret": values["global"]["postgresqlSecretName"],
                "labels": launcher["labels"],
                "run_k8s_config": {
                    SNAKE_RUN_K8S_CONFIG[key]: value for key, value in launcher["runK8sConfig"].items()
                },
            },
        },
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {
                "dequeue_interval_seconds": daemon["runCoordinator"]["config"]["queuedRunCoordinator"][
                    "dequeueIntervalSeconds"
                ]
            },
        },
        "concurrency": {
            "pools": {"default_limit": pools["defaultLimit"], "granularity": pools["granularity"]},
            "runs": {
                "max_concurrent_runs": runs["maxConcurrentRuns"],
                "tag_concurrency_limits": runs["tagConcurrencyLimits"],
            },
        },
        "run_retries": {
            "enabled": daemon["runRetries"]["enabled"],
            "max_retries": daemon["runRetries"]["maxRetries"],
        },
        "run_monitoring": {
            "enabled": daemon["runMonitoring"]["enabled"],
            "start_timeout_seconds": daemon["runMonitoring"]["startTimeoutSeconds"],
            "max_resume_run_attempts": daemon["runMonitoring"]["maxResumeRunAttempts"],
            "free_slots_after_run_end_seconds": daemon["runMonitoring"]["freeSlotsAfterRunEndSeconds"],
        },
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: test, user: {token: not-a-real-token}}]
contexts: [{name: test, context: {cluster: test, user: test, namespace: enrichment}}]
current-context: test
"""


def test_k8s_helm_values_render_a_k8s_run_launcher_and_the_local_queue_and_pool(pg_env, tmp_path):
    values = yaml.safe_load((DEPLOY / "k8s-values.yaml").read_text())
    assert values["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"
    rendered = render_instance(values, namespace="enrichment")
    # Outside a cluster: the test database and a kubeconfig of its own stand in for the cluster's.
    rendered["storage"]["postgres"]["postgres_db"].update(
        hostname=pg_env["DAGSTER_PG_HOST"],
        port=int(pg_env["DAGSTER_PG_PORT"]),
        username=pg_env["DAGSTER_PG_USERNAME"],
        db_name=pg_env["DAGSTER_PG_DB"],
    )
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    rendered["run_launcher"]["config"].update(
        load_incluster_config=False, kubeconfig_file=str(tmp_path / "kubeconfig")
    )
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(rendered))

    with instance_from_file(tmp_path / "dagster.yaml", tmp_path / "home") as instance:
        launcher = instance.run_launcher  # checked against dagster-k8s' schema, then constructed

        assert isinstance(launcher, K8sRunLauncher)
        assert launcher.job_namespace == "enrichment"
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert operating_settings(instance) == local_operating_settings(tmp_path)


def test_ecs_api_task_and_service_serve_the_api_on_one_port_with_its_health_checks(s3_endpoint):
    registered = boto3.client("ecs").register_task_definition(**API_TASK_DEFINITION)["taskDefinition"]
    (container,) = registered["containerDefinitions"]
    assert container["command"][:2] == ["enrichment-platform", "api"]
    port = int(container["command"][container["command"].index("--port") + 1])
    assert [mapping["containerPort"] for mapping in container["portMappings"]] == [port]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(container["healthCheck"]["command"])
    environment = {item["name"] for item in container["environment"]}
    secrets = {item["name"] for item in container["secrets"]}
    assert API_VARIABLES <= environment | secrets and API_SECRETS <= secrets
    execution = deploy_json("iam-execution-policy.json")
    for secret in container["secrets"]:  # ECS reads them for the task with the execution role
        assert allows(execution, "secretsmanager:GetSecretValue", secret["valueFrom"] + "-AbCdEf"), secret
    (balanced,) = API_SERVICE["loadBalancers"]
    assert (balanced["containerName"], balanced["containerPort"]) == (container["name"], port)
    assert API_SERVICE["taskDefinition"] == registered["family"]


def test_k8s_api_deployment_probes_healthz_and_readyz_on_its_port_with_the_shared_config():
    text = (DEPLOY / "k8s-api.yaml").read_text()
    deployment, service = yaml.safe_load_all(text)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"][:2] == ["enrichment-platform", "api"]
    port = int(container["command"][container["command"].index("--port") + 1])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    objects = k8s_objects_to_create((DEPLOY / "k8s-values.yaml").read_text())
    sources = [next(iter(item.values()))["name"] for item in container["envFrom"]]
    assert API_VARIABLES <= set().union(*(objects[name] for name in sources))
    assert API_SECRETS <= objects["enrichment-platform-secrets"]
