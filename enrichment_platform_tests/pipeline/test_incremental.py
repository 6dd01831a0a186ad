"""How many files a step has in flight, and that their outcomes come back in the files' order."""

import threading
import time

import pytest

from enrichment_platform.pipeline.incremental import _in_order, files_in_flight


def test_files_in_flight_reads_the_setting_and_refuses_what_is_not_a_number(monkeypatch):
    monkeypatch.setenv("ENRICHMENT_FILES_IN_FLIGHT", "3")
    assert files_in_flight() == 3
    monkeypatch.setenv("ENRICHMENT_FILES_IN_FLIGHT", "0")
    assert files_in_flight() == 1
    monkeypatch.setenv("ENRICHMENT_FILES_IN_FLIGHT", "many")
    with pytest.raises(ValueError, match="ENRICHMENT_FILES_IN_FLIGHT must be a number of files, not 'many'"):
        files_in_flight()


def test_files_are_processed_that_many_at_once_and_come_back_in_order():
    running, most = 0, 0
    lock = threading.Lock()

    def process(name: str) -> dict:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # a request's wait
        with lock:
            running -= 1
        return {"name": name}

    names = [f"{index}.jsonl" for index in range(30)]
    outcomes = list(_in_order(process, names, in_flight_limit=5))
    assert [name for name, _ in outcomes] == names
    assert [outcome["name"] for _, outcome in outcomes] == names
    assert most == 5
