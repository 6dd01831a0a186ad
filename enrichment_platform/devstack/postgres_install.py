"""The PostgreSQL installation a private server runs from: pgserver's binaries (else pg_config's), the
unprivileged user that runs them when we run as root, and a fresh data directory made by initdb."""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from enrichment_platform.devstack.processes import ServiceStartError, run_as_args

log = logging.getLogger(__name__)

UNPRIVILEGED_USER = "enrichment"


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
            [str(binary), "--version"], capture_output=True, cwd=cwd, timeout=30, **run_as_args(user)
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


@dataclass(frozen=True)
class PrivateInstall:
    """Where a private server's binaries, data and home live, and who runs them."""

    bin_dir: Path
    root: Path
    run_as: pwd.struct_passwd | None

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.root), "LC_ALL": "C", "LANG": "C"}


def psql_path() -> str | None:
    """A psql to paste into a terminal: the one on PATH, else the one shipped with pgserver's binaries."""
    on_path = shutil.which("psql")
    if on_path is not None:
        return "psql"
    try:
        bundled = postgres_bin_dir() / "psql"
    except ServiceStartError:
        return None
    return str(bundled) if bundled.exists() else None


def _user_can_enter(directory: Path, user: pwd.struct_passwd) -> bool:
    try:
        # `cd` in a shell of that user: a child's cwd is entered before it changes user, so proves nothing.
        command = ["sh", "-c", 'cd "$1"', "sh", str(directory)]
        subprocess.run(command, capture_output=True, timeout=30, check=True, **run_as_args(user))
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def _reachable_temp_root(user: pwd.struct_passwd) -> Path:
    for parent in dict.fromkeys([tempfile.gettempdir(), "/tmp", "/var/tmp"]):
        if not Path(parent).is_dir():
            continue
        root = Path(tempfile.mkdtemp(prefix="enrichment-postgres-", dir=parent))
        os.chown(root, user.pw_uid, user.pw_gid)
        if _user_can_enter(root, user):
            return root
        root.rmdir()
    raise ServiceStartError(
        f"user {user.pw_name} can reach neither the work directory nor a temp directory to run PostgreSQL "
        "in; choose a work directory below a path others may enter, or run as a normal user"
    )


def prepare_private_install(workdir: Path) -> PrivateInstall:
    """The binaries, a fresh root directory in `workdir` and the user of a private server (never root)."""
    bin_dir = postgres_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="postgres-", dir=workdir))
    run_as = unprivileged_user() if os.geteuid() == 0 else None
    if run_as is None:
        return PrivateInstall(bin_dir, root, None)
    os.chown(root, run_as.pw_uid, run_as.pw_gid)
    if not _user_can_enter(root, run_as):
        # The work directory may sit under a root-only path (pytest's /tmp/pytest-of-root is 0700),
        # so the server's files move to their own directory in a temp dir that user can reach.
        root.rmdir()
        root = _reachable_temp_root(run_as)
    if not _user_can_execute(bin_dir / "postgres", run_as, root):
        # Rather than opening every parent directory to others (what pgserver does), copy the install.
        bin_dir = _copy_postgres_install(bin_dir, root)
    return PrivateInstall(bin_dir, root, run_as)


def initdb(install: PrivateInstall, workdir: Path, timeout: float) -> None:
    """Create the data directory of a private server (trust auth, UTF8), its output in workdir/initdb.log."""
    result = subprocess.run(
        [str(install.bin_dir / "initdb"), "-D", str(install.pgdata), "-U", "postgres", "--auth=trust"]
        + ["--encoding=UTF8", "--no-locale", "--no-sync"],
        capture_output=True,
        text=True,
        cwd=install.root,
        env=install.env,
        timeout=timeout,
        **run_as_args(install.run_as),
    )
    (workdir / "initdb.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        who = f" as user {install.run_as.pw_name}" if install.run_as else ""
        raise ServiceStartError(
            f"initdb from {install.bin_dir}{who} failed with code {result.returncode}:\n"
            f"{result.stderr.strip()}"
        )
