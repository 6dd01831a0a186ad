"""Model benchmark: raw inference pairs/s, and how well concurrent clients share the endpoint's capacity."""

import multiprocessing
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import redis

from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.devstack.model_server import start_model_server


@dataclass
class ModelBenchResult:
    pairs: int
    clients: int
    capacity: int
    raw_pairs_per_second: float
    capped_seconds: float
    capped_pairs_per_second: float
    max_pairs_in_window: int
    window_seconds: float

    def as_dict(self) -> dict:
        return asdict(self)

    def as_markdown(self) -> str:
        return "\n".join(
            [
                "| measure | value |",
                "|---|---:|",
                f"| raw inference, capacity unlimited, 1 client | {self.raw_pairs_per_second:,.0f} pairs/s |",
                f"| {self.pairs:,} pairs from {self.clients} client processes at capacity {self.capacity:,} "
                f"| {self.capped_seconds:.1f} s ({self.capped_pairs_per_second:,.0f} pairs/s) |",
                f"| most pairs the server received in any {self.window_seconds:g} s window "
                f"| {self.max_pairs_in_window:,} |",
            ]
        )


def distinct_pairs(count: int, offset: int = 0) -> list[tuple[str, str]]:
    return [(f"company {i % 97}", f"senior engineer {i}") for i in range(offset, offset + count)]


def _client_process(target: str, capacity: int, redis_url: str, pairs: list, ready, go, finished) -> None:
    client = SeniorityModelClient(target=target, capacity=capacity, rate_limit_redis_url=redis_url)
    ready.set()
    go.wait()
    levels = client.infer(pairs)
    finished.put(time.time())
    if len(levels) != len(pairs):
        raise SystemExit(f"{len(levels)} answers for {len(pairs)} pairs")


def max_in_window(request_log: Path, window: float) -> int:
    """The most pairs that arrived within any half-open window [t, t + window) of the log."""
    entries = [(float(t), int(n)) for t, n in (line.split() for line in request_log.read_text().splitlines())]
    entries.sort()
    best, total, first = 0, 0, 0
    for arrival, pairs in entries:
        total += pairs
        while entries[first][0] <= arrival - window:
            total -= entries[first][1]
            first += 1
        best = max(best, total)
    return best


def run_model_bench(
    redis_url: str, pairs: int = 20_000, clients: int = 3, capacity: int = 1000, window: float = 10.0
) -> ModelBenchResult:
    """Start model servers on this machine and time real clients against them."""
    with tempfile.TemporaryDirectory(prefix="model-bench-") as workdir:
        with start_model_server(capacity=0, workdir=Path(workdir) / "raw") as server:
            client = SeniorityModelClient(target=server.target, capacity=0, max_in_flight=2)
            client.infer(distinct_pairs(1_000, offset=10**7))  # warm-up: channel, model caches
            started = time.perf_counter()
            client.infer(distinct_pairs(pairs))
            raw = pairs / (time.perf_counter() - started)

        log = Path(workdir) / "requests.log"
        with start_model_server(
            capacity=capacity, workdir=Path(workdir) / "capped", request_log=log
        ) as server:
            redis.Redis.from_url(redis_url).delete(f"ratelimit:seniority:{server.target}")
            context = multiprocessing.get_context("spawn")
            go, finished = context.Event(), context.Queue()
            share = -(-pairs // clients)
            readies, processes = [], []
            for index in range(clients):
                ready = context.Event()
                chunk = distinct_pairs(min(share, pairs - index * share), offset=index * share)
                process = context.Process(
                    target=_client_process,
                    args=(server.target, capacity, redis_url, chunk, ready, go, finished),
                )
                process.start()
                readies.append(ready)
                processes.append(process)
            for ready in readies:
                ready.wait(60)
            started = time.time()
            go.set()
            for process in processes:
                process.join()
            # Until the last answer arrived, not until the processes have exited.
            capped = max(finished.get(timeout=5) for _ in processes) - started
            failed = [process.exitcode for process in processes if process.exitcode]
            if failed:
                raise RuntimeError(f"client processes failed with exit codes {failed}")
        return ModelBenchResult(
            pairs=pairs,
            clients=clients,
            capacity=capacity,
            raw_pairs_per_second=raw,
            capped_seconds=capped,
            capped_pairs_per_second=pairs / capped,
            max_pairs_in_window=max_in_window(log, window),
            window_seconds=window,
        )
