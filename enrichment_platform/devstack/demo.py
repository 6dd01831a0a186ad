"""`make demo`: the whole platform on this machine, with sample data and a live sensor, in the Dagster UI.

Starts a private Redis, an S3 API endpoint (moto, devstack/s3_endpoint.py), the seniority model server, the
PostgreSQL warehouse (devstack/postgres_server.py: database `enrichment_demo` in the machine's PostgreSQL when
one answers, else a private server from pgserver's binaries; ENRICHMENT_PG_MODE=spawn forces the latter) and
Dagster (devstack/dagster_stack.py), uploads sample raw files for the last three UTC dates and drops a new
file every minute like the scraper (devstack/demo_platform.py). The terminal shows a short banner; every
service logs to a file in the demo's folder, and `<folder>/demo.env` points another shell at the demo.
Ctrl-C stops everything it started, drops its database and removes its folder, unless `--keep`.
"""

import argparse
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from enrichment_platform.devstack.dagster_stack import UIPortTakenError, ui_port_taken_message
from enrichment_platform.devstack.demo_workdir import DemoWorkdir, WorkdirTakenError, say, shown
from enrichment_platform.devstack.processes import ServiceStartError, port_free

REPO = Path(__file__).resolve().parents[2]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=3000, help="Dagster UI port (default 3000; make demo PORT=...)"
    )
    parser.add_argument("--files-per-date", type=int, default=6)
    parser.add_argument("--lines-per-file", type=int, default=2000)
    parser.add_argument("--drop-every", type=float, default=60.0, help="seconds between new files (0: none)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=REPO / ".local" / "demo",
        help="the demo's folder (default .local/demo)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the run history, the warehouse and the logs after Ctrl-C (make demo KEEP=1); the next "
        "demo starts afresh",
    )
    return parser.parse_args(argv)


def raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    # A shell that starts a job in the background makes it ignore SIGINT; handling both signals here means
    # Ctrl-C and `kill` always stop the demo and everything it started.
    signal.signal(signal.SIGINT, raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    # Checked before anything starts or loads: a taken port is the usual reason the UI would not come up.
    if not port_free(arguments.port):
        say(ui_port_taken_message(arguments.port))
        return 2
    # Loading the platform (Dagster, boto3) takes seconds, so it waits until the port is known to be free.
    from enrichment_platform.devstack.demo_platform import run_demo

    workdir = DemoWorkdir(arguments.workdir.resolve())
    try:
        workdir.prepare()
    except WorkdirTakenError as error:
        say(str(error))
        return 2
    status = 0
    try:
        with ExitStack() as stack:
            try:
                run_demo(arguments, workdir, stack)
            except KeyboardInterrupt:
                say("stopping ...")
                # A second Ctrl-C must not cut the clean-up short and leave services running.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            except UIPortTakenError as error:
                say(str(error))
                status = 2
            except ServiceStartError as error:
                say(str(error))
                status = 1
    finally:
        if arguments.keep or status == 1:
            say(f"kept {shown(workdir.root)}: logs in {shown(workdir.logs)}/")
        else:
            workdir.remove()
    return status


if __name__ == "__main__":
    sys.exit(main())
