"""What a benchmark measures of the machine: CPU time and memory of processes (with their children), how
busy the cores were, and the speed of a pure-Python loop to compare runs of different days."""

import threading
import time
from dataclasses import dataclass, field

import psutil


@dataclass
class ProcessUsage:
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    rss_samples_mb: list = field(default_factory=list)


class UsageMonitor:
    """Samples CPU time and resident memory of named processes (with their children) every 0.1 s."""

    def __init__(self, processes: dict[str, int]):
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.usage = {name: ProcessUsage() for name in processes}
        self._stop = threading.Event()
        self._start_cpu = {name: self._cpu(process) for name, process in self.processes.items()}
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._machine_start = psutil.cpu_times()
        self.machine_busy_share = 0.0  # of all cores, over the monitored time

    @staticmethod
    def _busy_and_total(times) -> tuple[float, float]:
        total = sum(times)
        return total - times.idle - getattr(times, "iowait", 0.0), total

    @staticmethod
    def _tree(process: psutil.Process) -> list[psutil.Process]:
        try:
            return [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _cpu(self, process: psutil.Process) -> float:
        """CPU seconds of a process and its children: the living ones, and those it has reaped (worker
        processes that ended), which the kernel adds to its children's times."""
        total = 0.0
        for member in self._tree(process):
            try:
                times = member.cpu_times()
                total += times.user + times.system
                if member is process:
                    total += times.children_user + times.children_system
            except psutil.NoSuchProcess:
                pass
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            for name, process in self.processes.items():
                rss = 0
                for member in self._tree(process):
                    try:
                        rss += member.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                usage = self.usage[name]
                usage.rss_samples_mb.append(rss / 2**20)
                usage.peak_rss_mb = max(usage.peak_rss_mb, rss / 2**20)
                if rss:
                    usage.cpu_seconds = self._cpu(process) - self._start_cpu[name]

    def __enter__(self) -> "UsageMonitor":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        busy_end, total_end = self._busy_and_total(psutil.cpu_times())
        busy_start, total_start = self._busy_and_total(self._machine_start)
        self.machine_busy_share = (busy_end - busy_start) / max(total_end - total_start, 1e-9)


def python_loop_seconds(steps: int = 10_000_000, repeats: int = 2) -> float:
    """Seconds of a pure-Python loop, best of `repeats`: this machine's speed at the time, so that figures
    from different days (or a shared host under other load) can be compared."""
    best = float("inf")
    for _ in range(repeats):
        started, total = time.perf_counter(), 0
        for step in range(steps):
            total += step
        best = min(best, time.perf_counter() - started)
    return round(best, 2)
