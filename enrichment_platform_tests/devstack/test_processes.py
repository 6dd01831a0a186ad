"""Spawned processes log to their file, stop with their whole group, and report why they did not come up."""

import socket
import sys

import pytest

from enrichment_platform.devstack import processes


def test_free_port_can_be_bound():
    port = processes.free_port()
    with socket.socket() as sock:
        sock.bind((processes.LOCALHOST, port))
        assert sock.getsockname()[1] == port


def test_spawned_process_logs_to_its_file_and_stops(tmp_path):
    command = [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"]
    process = processes.spawn("sleeper", command, tmp_path / "logs" / "sleeper.log")
    processes.wait_until_ready(
        process, lambda: "started" in processes.log_tail(process.log_path), 10, "sleeper"
    )
    process.stop()
    assert not process.running()
    assert processes.log_tail(process.log_path) == "started"


def test_a_process_that_could_not_bind_its_port_reports_the_port_taken(tmp_path):
    command = [sys.executable, "-c", "import sys; print('bind: Address already in use'); sys.exit(1)"]
    process = processes.spawn("unlucky", command, tmp_path / "unlucky.log")
    with pytest.raises(processes.PortTakenError, match="exited with code 1"):
        processes.wait_until_ready(process, lambda: False, 10, "could not start unlucky")


def test_a_stolen_port_is_retried_on_another_free_port():
    tried = []

    def start(port: int) -> int:
        tried.append(port)
        if len(tried) == 1:
            raise processes.PortTakenError("address already in use")
        return port

    assert processes.retry_on_taken_port(start, None) == tried[-1]
    assert len(tried) == 2


def test_a_temporary_workdir_is_made_when_none_is_given(tmp_path):
    given, temporary = processes.service_workdir(tmp_path / "given", "redis")
    assert (given, temporary) == (tmp_path / "given", False)
    made, temporary = processes.service_workdir(None, "redis")
    assert temporary and made.is_dir() and made.name.startswith("enrichment-redis-")
    made.rmdir()
