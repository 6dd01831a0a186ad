"""Cache benchmark: one namespace grown from empty with default settings, and at each checkpoint its Redis
bytes per pair, the write rate since the last checkpoint, and lookups/s.

Lookups are timed for several batch sizes (keys per call): a file's few thousand distinct pairs, and a bulk
batch, over a sample of the stored pairs. Besides wall-clock rates it reports Redis' own CPU time per key,
which a busy client machine does not inflate.
"""

import time
import uuid
from dataclasses import asdict, dataclass

import numpy as np
import redis

from enrichment_platform.cache.admin import bucket_encodings, drop_namespace, namespaces
from enrichment_platform.cache.keys import KEY_DTYPE
from enrichment_platform.defs.resources.cache import SeniorityCache
from enrichment_platform.seniority.scale import MAX_LEVEL, MIN_LEVEL

DEFAULT_CHECKPOINTS = (100_000, 1_000_000, 5_000_000, 20_000_000)
DEFAULT_LOOKUP_BATCHES = (3_000, 100_000)
LOOKUP_SAMPLE = 300_000


@dataclass
class LookupRate:
    batch: int
    lookups_per_second: float
    claim_lookups_per_second: float
    redis_cpu_us_per_key: float
    script_us_per_key: float  # Redis' own time in the lookup script, per key (INFO commandstats)
    bucket_reads_per_key: float  # HGET and HMGET calls the script made, per key
    bucket_read_us: float  # Redis' own time per HGET (the common case: one key in its bucket)


@dataclass
class Checkpoint:
    pairs: int
    buckets: int
    bytes_per_pair: float
    writes_per_second: float
    non_compact_buckets: int
    lookups: list[LookupRate]


@dataclass
class CacheBenchResult:
    write_batch: int
    checkpoints: list[Checkpoint]
    redis_version: str

    @property
    def lookups_per_second(self) -> float:
        """The best lookup rate measured."""
        return max(rate.lookups_per_second for point in self.checkpoints for rate in point.lookups)

    def as_dict(self) -> dict:
        return {**asdict(self), "lookups_per_second": self.lookups_per_second}

    def as_markdown(self) -> str:
        lines = [
            "| pairs | buckets | bytes/pair | writes/s | hashtable buckets | lookup batch | lookups/s "
            "| lookups/s (claiming) | Redis CPU µs/key | script µs/key | reads/key | µs/HGET |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for point in self.checkpoints:
            for index, rate in enumerate(point.lookups):
                head = (
                    f"| {point.pairs:,} | {point.buckets:,} | {point.bytes_per_pair:.2f} "
                    f"| {point.writes_per_second:,.0f} | {point.non_compact_buckets} "
                    if index == 0
                    else "| | | | | "
                )
                lines.append(
                    head + f"| {rate.batch:,} | {rate.lookups_per_second:,.0f} "
                    f"| {rate.claim_lookups_per_second:,.0f} | {rate.redis_cpu_us_per_key:.2f} "
                    f"| {rate.script_us_per_key:.2f} | {rate.bucket_reads_per_key:.2f} "
                    f"| {rate.bucket_read_us:.2f} |"
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


def used_memory(server: redis.Redis) -> int:
    """The server's used memory without its clients' buffers, where a large call's arguments linger."""
    stats = server.memory_stats()
    return stats["total.allocated"] - stats.get("clients.normal", 0)


def non_compact_buckets(server: redis.Redis, namespace: str) -> int:
    """Buckets of the namespace that are not compact listpacks (ziplists on Redis 6)."""
    encodings = bucket_encodings(server, namespace)
    return sum(count for encoding, count in encodings.items() if encoding not in ("listpack", "ziplist"))


def _command_stats(server: redis.Redis) -> dict[str, tuple[int, float]]:
    """(calls, µs) of each command Redis ran so far, scripts' own commands included."""
    return {
        name.removeprefix("cmdstat_"): (int(stat["calls"]), float(stat["usec"]))
        for name, stat in server.info("commandstats").items()
    }


def _lookup_rates(cache: SeniorityCache, server, namespace: str, sample: np.ndarray, batches) -> list:
    rates = []
    for size in batches:
        size = min(size, len(sample))
        stats_before = _command_stats(server)
        cpu_before, started = _redis_cpu_seconds(server), time.perf_counter()
        for start in range(0, len(sample), size):
            if not cache.lookup(namespace, sample[start : start + size]).all():
                raise AssertionError("a stored pair was not found: the cache is inconsistent")
        lookup_seconds = time.perf_counter() - started
        cpu_seconds = _redis_cpu_seconds(server) - cpu_before
        stats = _command_stats(server)
        ran = {
            name: (calls - stats_before.get(name, (0, 0.0))[0], usec - stats_before.get(name, (0, 0.0))[1])
            for name, (calls, usec) in stats.items()
        }
        started = time.perf_counter()
        for start in range(0, len(sample), size):
            cache.lookup_and_claim(namespace, sample[start : start + size], owner="bench")
        claim_seconds = time.perf_counter() - started
        count = len(sample)
        hget_calls, hget_usec = ran.get("hget", (0, 0.0))
        rates.append(
            LookupRate(
                size,
                count / lookup_seconds,
                count / claim_seconds,
                cpu_seconds * 1e6 / count,
                script_us_per_key=ran.get("evalsha", (0, 0.0))[1] / count,
                bucket_reads_per_key=(hget_calls + ran.get("hmget", (0, 0.0))[0]) / count,
                bucket_read_us=hget_usec / max(hget_calls, 1),
            )
        )
    return rates


def run_cache_bench(
    redis_url: str,
    checkpoints: tuple[int, ...] = DEFAULT_CHECKPOINTS,
    batch: int = 100_000,
    seed: int = 0,
    lookup_batches: tuple[int, ...] = DEFAULT_LOOKUP_BATCHES,
) -> CacheBenchResult:
    """Grow a fresh namespace (default settings) to each checkpoint's number of pairs in stores of `batch`
    keys, measuring at each; the namespace is dropped after.

    Bytes per pair is the growth of the server's used memory, so nothing else should write meanwhile.
    """
    cache = SeniorityCache(redis_url=redis_url)
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    server = redis.Redis.from_url(redis_url)
    rng = np.random.default_rng(seed + 1)
    points, chunks, stored, write_seconds = [], [], 0, 0.0
    try:
        # The server's one-time costs (the scripts loaded, the client's structures) are not the namespace's:
        # they are paid on a throwaway namespace before the memory is read.
        warm_up = f"{namespace}-warm-up"
        cache.store(warm_up, random_keys(100, seed + 2), np.ones(100, dtype=np.uint8))
        cache.lookup_and_claim(warm_up, random_keys(100, seed + 3), owner="bench")
        cache.release(warm_up, random_keys(100, seed + 3), owner="bench")
        drop_namespace(cache.client, warm_up)
        cache.client.connection_pool.disconnect()
        memory_before = used_memory(server)
        for target in sorted(checkpoints):
            started = time.perf_counter()
            while stored < target:
                count = min(batch, target - stored)
                chunks.append((count, seed * 1_000_003 + stored))  # the keys are made again from these
                keys = random_keys(*chunks[-1])
                cache.store(namespace, keys, (np.arange(stored, stored + count) % MAX_LEVEL + MIN_LEVEL))
                stored += count
            write_seconds = time.perf_counter() - started
            written = target - (points[-1].pairs if points else 0)
            cache.client.connection_pool.disconnect()  # frees the buffers of its calls' arguments
            bytes_per_pair = (used_memory(server) - memory_before) / target
            # A sample of what is stored (LOOKUP_SAMPLE keys, as many of each store), in random order.
            each = -(-LOOKUP_SAMPLE // len(chunks))
            sample = np.concatenate([random_keys(*chunk)[:each] for chunk in chunks])
            sample = sample[rng.permutation(len(sample))]
            [info] = [info for info in namespaces(cache.client) if info.name == namespace]
            points.append(
                Checkpoint(
                    pairs=target,
                    buckets=info.buckets,
                    bytes_per_pair=bytes_per_pair,
                    writes_per_second=written / write_seconds,
                    non_compact_buckets=non_compact_buckets(server, namespace),
                    lookups=_lookup_rates(cache, server, namespace, sample, lookup_batches),
                )
            )
    finally:
        drop_namespace(cache.client, namespace)
    return CacheBenchResult(
        write_batch=batch, checkpoints=points, redis_version=server.info("server")["redis_version"]
    )
