"""What the demo leaves for its user: its folder's layout, the env file that points a shell at the demo, the
clean-up after Ctrl-C that removes all of it unless asked to keep it, and the short lines it prints."""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

ENV_FILE_NAME = "demo.env"
MARKER_NAME = ".enrichment-demo"  # says the folder's entries are the demo's to remove


class WorkdirTakenError(RuntimeError):
    """The chosen folder holds entries of the demo's names that the demo did not create."""


@dataclass(frozen=True)
class DemoWorkdir:
    """The demo's folder: every path it writes below `root`, and nothing outside."""

    root: Path

    @property
    def dagster_home(self) -> Path:
        """DAGSTER_HOME: the instance config and the run history."""
        return self.root / "dagster_home"

    @property
    def logs(self) -> Path:
        """One log file per service."""
        return self.root / "logs"

    @property
    def stage(self) -> Path:
        """ENRICHMENT_LOCAL_STAGE_DIR: the runs' local stage folders."""
        return self.root / "stage"

    @property
    def postgres(self) -> Path:
        """A private PostgreSQL server's binaries and data, when the machine has none to lend a database."""
        return self.root / "postgres"

    @property
    def tmp(self) -> Path:
        """TMPDIR of every service."""
        return self.root / "tmp"

    @property
    def env_file(self) -> Path:
        return self.root / ENV_FILE_NAME

    @property
    def marker(self) -> Path:
        return self.root / MARKER_NAME

    def entries(self) -> tuple[Path, ...]:
        """Everything the demo creates in its folder."""
        return (self.dagster_home, self.logs, self.stage, self.postgres, self.tmp, self.env_file, self.marker)

    def prepare(self) -> None:
        """Start afresh: a kept run history would point at S3 objects and cache entries that died with their
        servers, so a previous demo's leftovers go first; anything else of the same names is refused."""
        if not self.marker.exists():
            clashing = [entry.name for entry in self.entries() if entry.exists()]
            if clashing:
                raise WorkdirTakenError(
                    f"{self.root} already holds {', '.join(clashing)}, not made by the demo: "
                    "choose another folder with --workdir"
                )
        self.remove()
        for directory in (self.dagster_home, self.logs, self.stage, self.postgres, self.tmp):
            directory.mkdir(parents=True)
        self.marker.touch()

    def remove(self) -> None:
        """Remove what the demo created, and the folder itself when that leaves it empty."""
        for entry in self.entries():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
        if self.root.is_dir() and not any(self.root.iterdir()):
            self.root.rmdir()

    def write_env_file(self, settings: dict[str, str]) -> Path:
        """Write `settings` as `export NAME=value` lines, for `source <env file>` in another shell."""
        lines = [
            "# The running demo's settings: `source` this file, then use the dagster CLI, boto3, aws, psql.",
            *(f"export {name}={shlex.quote(value)}" for name, value in settings.items()),
        ]
        self.env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.env_file


def shown(path: Path) -> str:
    """`path` relative to the current directory when it lies below it (shorter to read and to paste)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def say(message: str) -> None:
    """One line of the demo's own output on the terminal."""
    print(f"[demo] {message}", flush=True)
