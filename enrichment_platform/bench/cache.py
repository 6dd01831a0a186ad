"""Cache benchmark: Redis bytes per cached pair, lookups/s and writes/s at a given number of pairs.

Lookups are timed for several batch sizes (keys per script call): a file's few thousand distinct pairs,
and bulk batches. Besides wall-clock rates it reports Redis' own CPU time per key, which a busy client
machine does not inflate.
"""

import time
import uuid
from dataclasses import asdict, dataclass

import numpy as np
import redis

from enrichment_platform.cache.admin import drop_namespace
from enrichment_platform.cache.keys import KEY_DTYPE
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.seniority.scale import MAX_LEVEL, MIN_LEVEL

DEFAULT_LOOKUP_BATCHES = (3_000, 100_000, 500_000)


@dataclass
class LookupRate:
    batch: int
    lookups_per_second: float
    claim_lookups_per_second: float
    redis_cpu_us_per_key: float


@dataclass
class CacheBenchResult:
    pairs: int
    bucket_bits: int
    bytes_per_pair: float
    writes_per_second: float
    write_batch: int
    lookups: list[LookupRate]
    redis_version: str

    @property
    def lookups_per_second(self) -> float:
        """The best lookup rate over the batch sizes measured."""
        return max(rate.lookups_per_second for rate in self.lookups)

    def as_dict(self) -> dict:
        return {**asdict(self), "lookups_per_second": self.lookups_per_second}

    def as_markdown(self) -> str:
        lines = [
            "| pairs | bucket bits | bytes/pair | writes/s (batch) | lookup batch | lookups/s "
            "| lookups/s (claiming) | Redis CPU µs/key |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for index, rate in enumerate(self.lookups):
            head = (
                (
                    f"| {self.pairs:,} | {self.bucket_bits} | {self.bytes_per_pair:.2f} "
                    f"| {self.writes_per_second:,.0f} ({self.write_batch:,}) "
                )
                if index == 0
                else "| | | | "
            )
            lines.append(
                head + f"| {rate.batch:,} | {rate.lookups_per_second:,.0f} "
                f"| {rate.claim_lookups_per_second:,.0f} | {rate.redis_cpu_us_per_key:.2f} |"
            )
        return "\n".join(lines)


def random_keys(count: int, seed: int) -> np.ndarray:
    """Uniformly random 16-byte keys, as pair fingerprints are."""
    return (
        np.random.default_rng(seed).integers(0, 256, size=(count, 16), dtype=np.uint8).view(KEY_DTYPE).ravel()
    )


def _redis_cpu_seconds(server: redis.Redis) -> float:
    cpu = server.info("cpu")
    return cpu.get("used_cpu_user_main_thread", cpu["used_cpu_user"]) + cpu.get(
        "used_cpu_sys_main_thread", cpu["used_cpu_sys"]
    )


def run_cache_bench(
    redis_url: str,
    pairs: int,
    batch: int = 100_000,
    seed: int = 0,
    lookup_batches: tuple[int, ...] = DEFAULT_LOOKUP_BATCHES,
) -> CacheBenchResult:
    """Fill a fresh namespace with `pairs` pairs in batches of `batch`, then look them all up in batches of
    each size in `lookup_batches`; the namespace is dropped after.

    Bytes per pair is the growth of the server's `used_memory`, so nothing else should write meanwhile.
    """
    cache = SeniorityCache(redis_url=redis_url, expected_pairs=pairs)
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    server = redis.Redis.from_url(redis_url)
    keys = random_keys(pairs, seed)
    levels = (np.arange(pairs) % MAX_LEVEL + MIN_LEVEL).astype(np.uint8)
    rates = []
    try:
        bucket_bits = cache.bucket_bits(namespace)
        memory_before = server.info("memory")["used_memory"]
        started = time.perf_counter()
        for start in range(0, pairs, batch):
            cache.store(namespace, keys[start : start + batch], levels[start : start + batch])
        write_seconds = time.perf_counter() - started
        bytes_per_pair = (server.info("memory")["used_memory"] - memory_before) / pairs

        shuffled = keys[np.random.default_rng(seed + 1).permutation(pairs)]
        for size in lookup_batches:
            size = min(size, pairs)
            cpu_before, started = _redis_cpu_seconds(server), time.perf_counter()
            for start in range(0, pairs, size):
                found = cache.lookup(namespace, shuffled[start : start + size])
                if not found.all():
                    raise AssertionError("a stored pair was not found: the cache is inconsistent")
            lookup_seconds = time.perf_counter() - started
            cpu_seconds = _redis_cpu_seconds(server) - cpu_before
            started = time.perf_counter()
            for start in range(0, pairs, size):
                cache.lookup_and_claim(namespace, shuffled[start : start + size], owner="bench")
            claim_seconds = time.perf_counter() - started
            rates.append(
                LookupRate(size, pairs / lookup_seconds, pairs / claim_seconds, cpu_seconds * 1e6 / pairs)
            )
    finally:
        drop_namespace(cache.client, namespace)
    return CacheBenchResult(
        pairs=pairs,
        bucket_bits=bucket_bits,
        bytes_per_pair=bytes_per_pair,
        writes_per_second=pairs / write_seconds,
        write_batch=batch,
        lookups=rates,
        redis_version=server.info("server")["redis_version"],
    )
