"""The one image (resources/deploy/Containerfile), built the way `make image` builds it and used from its own
filesystem: a container's root mounted and entered with chroot as the image's user, with the image's
environment, so its commands reach the session's services on 127.0.0.1 (containers cannot be started here)."""

import json
import os
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import orjson
import pytest

from enrichment_platform.devstack.processes import free_port
from enrichment_platform_tests.support.harness import DEPLOY, deploy_json, materialize_date_arguments

pytestmark = [pytest.mark.image, pytest.mark.integration, pytest.mark.slow]

BUILD_SCRIPT = DEPLOY / "build-image.sh"
TAG = "localhost/enrichment-platform:image-test"
PODMAN = ["podman", "--storage-driver=vfs"]
RUN_CONTAINER = deploy_json("ecs-task-definition.json")["containerDefinitions"][0]
RUN_ENVIRONMENT = {item["name"]: item["value"] for item in RUN_CONTAINER["environment"]}
API_CONTAINER = deploy_json("ecs-api-task-definition.json")["containerDefinitions"][0]
# The session's S3 endpoint and its credentials stand in for the task role.
AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
JUL17 = 1721174400


def podman(*arguments: str) -> str:
    return subprocess.run([*PODMAN, *arguments], check=True, capture_output=True, text=True).stdout.strip()


def variable_names(container: dict) -> list[str]:
    """The names of a task definition container's environment and secrets."""
    return [item["name"] for item in container["environment"] + container["secrets"]]


def on_port(command: list[str], port: int) -> list[str]:
    """A deployment's service command listening on `port` instead (the host's ports are shared)."""
    index = command.index("--port")
    return [*command[: index + 1], str(port), *command[index + 2 :]]


class ImageRoot:
    """A container's root filesystem, mounted, with /proc, /dev and a private /tmp, entered by chroot."""

    def __init__(self, path: Path, config: dict):
        self.path = path
        self.user = config["User"]
        self.workdir = config["WorkingDir"]
        self.env = dict(item.split("=", 1) for item in config["Env"])

    def command(self, argv: list[str], env: dict[str, str] | None = None) -> list[str]:
        """`argv` as the image's user, in its working directory, with its environment and `env` only."""
        variables = [f"{name}={value}" for name, value in {**self.env, **(env or {})}.items()]
        return [
            "chroot",
            f"--userspec={self.user}",
            str(self.path),
            "/usr/bin/env",
            f"--chdir={self.workdir}",
            "-i",
            *variables,
            *argv,
        ]

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float = 120):
        return subprocess.run(self.command(argv, env), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> dict:
    """The image built by build-image.sh (layers cached from `make image`); its inspected metadata."""
    if os.geteuid() != 0:
        pytest.skip("building the image needs root: podman builds as root here and apt-get may install it")
    tools = subprocess.run(["bash", str(BUILD_SCRIPT), "--tools"], capture_output=True, text=True)
    if tools.returncode != 0:
        pytest.skip(f"podman and debootstrap cannot be installed: {tools.stderr.strip()[-500:]}")
    log = tmp_path_factory.mktemp("image") / "build.log"
    with log.open("w") as output:
        build = subprocess.run(["bash", str(BUILD_SCRIPT), TAG], stdout=output, stderr=subprocess.STDOUT)
    assert build.returncode == 0, log.read_text()[-5000:]
    return json.loads(podman("image", "inspect", TAG))[0]


@pytest.fixture(scope="module")
def root(image) -> ImageRoot:
    """A container of the image (not started), its filesystem mounted; removed afterwards."""
    with ExitStack() as cleanup:
        container = podman("create", TAG)
        cleanup.callback(podman, "rm", "--force", container)
        path = Path(podman("mount", container))
        cleanup.callback(podman, "umount", container)
        for source, target, options in (
            ("proc", "proc", ["-t", "proc"]),
            ("/dev", "dev", ["--rbind"]),
            ("tmpfs", "tmp", ["-t", "tmpfs", "-o", "mode=1777"]),
        ):
            subprocess.run(["mount", *options, source, str(path / target)], check=True)
            cleanup.callback(
                subprocess.run, ["umount", "--recursive", "--lazy", str(path / target)], check=True
            )
        yield ImageRoot(path, image["Config"])


def test_image_runs_as_a_non_root_user_with_the_ecs_instance_and_a_health_check(image, root):
    uid = root.run(["id", "-u"])
    assert uid.returncode == 0, uid.stderr
    assert int(uid.stdout) == int(root.user.split(":")[0]) != 0

    # The run task definition's DAGSTER_HOME holds the ECS instance; commands start beside workspace.yaml.
    dagster_home = RUN_ENVIRONMENT["DAGSTER_HOME"]
    assert root.env["DAGSTER_HOME"] == dagster_home
    instance = root.path / dagster_home.lstrip("/") / "dagster.yaml"
    assert instance.read_text() == (DEPLOY / "dagster.ecs.yaml").read_text()
    assert (root.path / root.workdir.lstrip("/") / "workspace.yaml").is_file()

    assert image["Healthcheck"]["Test"][:2] == ["CMD", "/opt/venv/bin/python"]
    assert image["Config"]["Entrypoint"] == ["/usr/bin/tini", "--"]


def test_image_serves_the_code_location_the_webserver_the_daemon_the_api_and_the_model(root):
    for argv in (
        ["enrichment-platform", "--help"],
        ["seniority-model", "--help"],
        ["dagster-webserver", "--help"],
        ["dagster-daemon", "--help"],
        ["dagster", "api", "grpc", "--help"],
    ):
        completed = root.run(argv)
        assert completed.returncode == 0, f"{argv}: {completed.stderr[-2000:]}"
        assert "usage" in completed.stdout.lower()
    # The package was installed apart from its dependencies: they must still satisfy it.
    check = root.run(["python", "-m", "pip", "check"])
    assert check.returncode == 0, check.stdout
    version = root.run(["dagster", "--version"])
    assert version.returncode == 0, version.stderr
    assert "1.13.27" in version.stdout


def test_image_materializes_a_date_against_the_local_services(
    root, bucket, platform_env, pg_env, monkeypatch
):
    data = b"".join(
        orjson.dumps({"url": f"u{i}", "company": "Acme", "title": f"Engineer {i % 5}", "scraped_on": JUL17})
        + b"\n"
        for i in range(50)
    )
    bucket.put("job-postings-raw", f"{JUL17 + 1}.jsonl", data + b"{broken\n")
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_BUCKET", platform_env.bucket)
    monkeypatch.setenv("REQUESTS_URI", f"s3://{platform_env.bucket}/enrichment-requests/")
    # The variables of the run task definition, valued for the test's services; its paths inside the image as
    # they are.
    env = {
        name: os.environ[name]
        for name in (*variable_names(RUN_CONTAINER), *AWS_VARIABLES)
        if name in os.environ
    }
    for name in ("DAGSTER_HOME", "ENRICHMENT_LOCAL_STAGE_DIR"):
        env[name] = RUN_ENVIRONMENT[name]
    assert set(variable_names(RUN_CONTAINER)) <= env.keys()

    materialize = ["dagster", *materialize_date_arguments("2024-07-17")]
    completed = root.run(materialize, env, timeout=600)
    assert completed.returncode == 0, completed.stderr[-5000:]

    assert len(bucket.get("job-postings-mod", f"{JUL17 + 1}.jsonl").splitlines()) == 50
    assert len(bucket.get("job-postings-quarantine", f"{JUL17 + 1}.jsonl").splitlines()) == 1
    # The ECS instance's compute log manager uploaded the steps' logs.
    assert bucket.names("dagster-compute-logs")


def test_image_health_checks_answer_for_the_api_and_the_model_server(
    image, root, platform_env, monkeypatch, tmp_path
):
    monkeypatch.setenv("REQUESTS_URI", f"s3://{platform_env.bucket}/enrichment-requests/")
    monkeypatch.setenv("ENRICHMENT_API_KEYS", "test-key")
    env = {name: os.environ[name] for name in (*variable_names(API_CONTAINER), *AWS_VARIABLES)}
    api_port, model_port = free_port(), free_port()
    # The push API as its task definition runs it; the model server as the docs do.
    services = {
        "api": on_port(API_CONTAINER["command"], api_port),
        "model": [
            "seniority-model",
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            str(model_port),
            "--capacity",
            "0",
        ],
    }
    image_check = image["Healthcheck"]["Test"][1:]
    task_check = [
        part.replace(":8080/", f":{api_port}/") for part in API_CONTAINER["healthCheck"]["command"][1:]
    ]
    processes = {}
    try:
        for name, argv in services.items():
            with (tmp_path / f"{name}.log").open("w") as log:
                processes[name] = subprocess.Popen(
                    root.command(argv, env), stdout=log, stderr=subprocess.STDOUT
                )
        for name, argv in services.items():
            deadline = time.monotonic() + 90
            while (check := root.run([*image_check, *argv])).returncode != 0:
                assert processes[name].poll() is None, (tmp_path / f"{name}.log").read_text()[-3000:]
                assert time.monotonic() < deadline, f"{name} never healthy: {check.stderr}"
                time.sleep(1)
        api_task_check = root.run(task_check)
        assert api_task_check.returncode == 0, api_task_check.stderr
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=30)
    for argv in services.values():
        stopped = root.run([*image_check, *argv])
        assert stopped.returncode == 1
        assert stopped.stderr.startswith("unhealthy:")
