"""The usage monitor measures CPU time of processes and how busy the machine was."""

import os
import time

from enrichment_platform.bench.usage import UsageMonitor


def test_the_usage_monitor_measures_how_busy_the_machine_was():
    with UsageMonitor({"bench": os.getpid()}) as monitor:
        until = time.process_time() + 0.4  # CPU time, whatever else the machine is doing
        while time.process_time() < until:
            pass
        time.sleep(0.25)  # a sample after the work
    assert monitor.usage["bench"].cpu_seconds >= 0.3
    assert 0 < monitor.machine_busy_share <= 1.0
