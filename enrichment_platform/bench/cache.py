"""Cache benchmark: Redis bytes per cached pair, lookups/s and writes/s at a given number of pairs."""

import time
import uuid
from dataclasses import asdict, dataclass

import numpy as np
import redis

from enrichment_platform.core.keys import KEY_DTYPE
from enrichment_platform.resources.cache import SeniorityCache


@dataclass
class CacheBenchResult:
    pairs: int
    bucket_bits: int
    bytes_per_pair: float
    writes_per_second: float
    lookups_per_second: float
    claim_lookups_per_second: float
    batch: int
    redis_version: str

    def as_dict(self) -> dict:
        return asdict(self)

    def as_markdown(self) -> str:
        return "\n".join(
            [
                "| pairs | bucket bits | bytes/pair | writes/s | lookups/s | lookups/s (claiming) | batch |",
                "|---:|---:|---:|---:|---:|---:|---:|",
                f"| {self.pairs:,} | {self.bucket_bits} | {self.bytes_per_pair:.2f} | {self.writes_per_second:,.0f} "
                f"| {self.lookups_per_second:,.0f} | {self.claim_lookups_per_second:,.0f} | {self.batch:,} |",
            ]
        )


def random_keys(count: int, seed: int) -> np.ndarray:
    """Uniformly random 16-byte keys, as pair fingerprints are."""
    return np.random.default_rng(seed).integers(0, 256, size=(count, 16), dtype=np.uint8).view(KEY_DTYPE).ravel()


def run_cache_bench(redis_url: str, pairs: int, batch: int = 100_000, seed: int = 0) -> CacheBenchResult:
    """Fill a fresh namespace with `pairs` pairs, then look all of them up; the namespace is dropped after.

    Bytes per pair is the growth of the server's `used_memory`, so nothing else should write meanwhile.
    """
    cache = SeniorityCache(redis_url=redis_url, expected_pairs=pairs)
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    server = redis.Redis.from_url(redis_url)
    keys = random_keys(pairs, seed)
    levels = (np.arange(pairs) % 7 + 1).astype(np.uint8)
    try:
        bucket_bits = cache.bucket_bits(namespace)
        memory_before = server.info("memory")["used_memory"]
        started = time.perf_counter()
        for start in range(0, pairs, batch):
            cache.store(namespace, keys[start:start + batch], levels[start:start + batch])
        write_seconds = time.perf_counter() - started
        bytes_per_pair = (server.info("memory")["used_memory"] - memory_before) / pairs

        shuffled = keys[np.random.default_rng(seed + 1).permutation(pairs)]
        started = time.perf_counter()
        for start in range(0, pairs, batch):
            found = cache.lookup(namespace, shuffled[start:start + batch])
            if not found.all():
                raise AssertionError("a stored pair was not found: the cache is inconsistent")
        lookup_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for start in range(0, pairs, batch):
            cache.lookup_and_claim(namespace, shuffled[start:start + batch], owner="bench")
        claim_seconds = time.perf_counter() - started
    finally:
        cache.drop_namespace(namespace)
    return CacheBenchResult(
        pairs=pairs,
        bucket_bits=bucket_bits,
        bytes_per_pair=bytes_per_pair,
        writes_per_second=pairs / write_seconds,
        lookups_per_second=pairs / lookup_seconds,
        claim_lookups_per_second=pairs / claim_seconds,
        batch=batch,
        redis_version=server.info("server")["redis_version"],
    )
