"""Fingerprints of normalized pairs, and how they are laid out in the Redis cache.

A pair's key is the 128-bit xxh3 hash of its normalized company and title. In Redis, the first
`bucket_bits` bits choose a hash (the bucket) and the last 64 bits are the field inside it, so the
cache tells pairs apart by `bucket_bits + 64` bits (82 at the default sizing): the odds that any two of
20M pairs collide are about 4e-11, and about 1e-7 for 1B pairs (birthday bound n^2 / 2^(bits+1)).

Layout of a namespace `ns` (one per model version):
- `sen:ns:meta`: a hash with `bucket_bits` (fixed when the namespace is created), `pairs` (stored), `created`.
- `sen:ns:{ss}BBB`: a hash per bucket (ss = the bucket id's first byte in hex, the cluster hash tag, so a
  shard's buckets share a slot; BBB the id's other three bytes), whose fields are the pairs' last 8 key
  bytes and whose values are the level ("1".."7"), or, while a worker infers the pair, a claim
  `c<expiry ms>:<worker>`.
"""

import math
import re
from dataclasses import dataclass

import numpy as np
import xxhash

from enrichment_platform.postings.normalize import normalize_pair, normalize_texts

# str.split() treats the unit separator as whitespace, so it never occurs inside normalized text.
PAIR_SEPARATOR = "\x1f"
KEY_DTYPE = np.dtype("V16")
FIELD_BYTES = 8
# Buckets are sized to hold about this many pairs: under Redis' default hash-max-listpack-entries (128)
# even for the fullest bucket, so every bucket stays a compact listpack.
PAIRS_PER_BUCKET = 80
MIN_BUCKET_BITS, MAX_BUCKET_BITS = 8, 32
NAMESPACE_KEY_PREFIX = "sen:"
META_KEY_SUFFIX = ":meta"
_NAMESPACE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def check_namespace(namespace: str) -> None:
    """Refuse a namespace name that could reach into other keys (a pattern, a separator)."""
    if not _NAMESPACE.match(namespace):
        raise ValueError(f"cache namespace {namespace!r} must match {_NAMESPACE.pattern}")


def namespace_prefix(namespace: str) -> str:
    """The start of every key of a namespace."""
    return f"{NAMESPACE_KEY_PREFIX}{namespace}:"


def meta_key(namespace: str) -> str:
    """The hash that records a namespace's sizing, pair count and creation time."""
    return f"{NAMESPACE_KEY_PREFIX}{namespace}{META_KEY_SUFFIX}"


def pair_key(company_norm: str, title_norm: str) -> bytes:
    """The 16-byte fingerprint of a normalized pair."""
    return xxhash.xxh3_128_digest(f"{company_norm}{PAIR_SEPARATOR}{title_norm}".encode())


def pair_keys(pairs: list[tuple[str, str]]) -> np.ndarray:
    """Fingerprints of many normalized pairs, as an array of 16-byte keys (sortable, uniquable)."""
    digest = xxhash.xxh3_128_digest
    data = b"".join([digest(f"{c}{PAIR_SEPARATOR}{t}".encode()) for c, t in pairs])
    return np.frombuffer(data, dtype=KEY_DTYPE)


def spelling_key(company: str, title: str) -> bytes:
    """The key of a posting's pair as spelled. (Remembering popular spellings across files saves nothing:
    normalizing a spelling costs about as much as looking it up.)"""
    return pair_key(*normalize_pair(company, title))


def spelling_keys(spellings: list[tuple[str, str]]) -> np.ndarray:
    """`spelling_key` of many (company, title) spellings, as an array of 16-byte keys."""
    companies, titles = zip(*spellings) if spellings else ((), ())
    return pair_keys(list(zip(normalize_texts(companies), normalize_texts(titles))))


def bucket_bits_for(expected_pairs: int) -> int:
    """The sizing rule: the fewest bucket bits that keep the average bucket at most PAIRS_PER_BUCKET pairs."""
    bits = (
        math.ceil(math.log2(max(expected_pairs, 1) / PAIRS_PER_BUCKET))
        if expected_pairs > PAIRS_PER_BUCKET
        else 0
    )
    return min(max(bits, MIN_BUCKET_BITS), MAX_BUCKET_BITS)


@dataclass
class BucketRuns:
    """Sorted keys grouped by bucket, packed for one Redis script call.

    `buckets`: 4 bytes per bucket (its id, left-aligned, the first byte being the cluster shard);
    `counts`: 4 bytes per bucket, big-endian; `fields`: 8 bytes per key; `order`: the sort permutation.
    """

    buckets: bytes
    counts: bytes
    fields: bytes
    order: np.ndarray
    shards: np.ndarray  # first byte of each bucket: the hash tag, so one call per shard suits a cluster
    bucket_sizes: np.ndarray

    def split_by_shard(self) -> list["BucketRuns"]:
        """One BucketRuns per shard present (keys stay in sorted order across the parts)."""
        parts = []
        bounds = np.flatnonzero(np.r_[True, self.shards[1:] != self.shards[:-1]])
        key_starts = np.r_[0, np.cumsum(self.bucket_sizes)]
        for first, last in zip(bounds, np.r_[bounds[1:], len(self.shards)]):
            k0, k1 = key_starts[first], key_starts[last]
            parts.append(
                BucketRuns(
                    buckets=self.buckets[first * 4 : last * 4],
                    counts=self.counts[first * 4 : last * 4],
                    fields=self.fields[k0 * FIELD_BYTES : k1 * FIELD_BYTES],
                    order=self.order[k0:k1],
                    shards=self.shards[first:last],
                    bucket_sizes=self.bucket_sizes[first:last],
                )
            )
        return parts


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def bucket_names(prefix: bytes, buckets: bytes) -> bytes:
    """The Redis key of each packed bucket id, all of one width: `prefix{ss}` and the id's other three raw
    bytes, where `ss` (the first byte in hex) is the cluster hash tag. Built here in bulk, not per bucket
    in the script."""
    ids = np.frombuffer(buckets, dtype=np.uint8).reshape(-1, 4)
    head = len(prefix)
    names = np.empty((len(ids), head + 7), dtype=np.uint8)
    names[:, :head] = np.frombuffer(prefix, dtype=np.uint8)
    names[:, head] = ord("{")
    names[:, head + 1] = _HEX[ids[:, 0] >> 4]
    names[:, head + 2] = _HEX[ids[:, 0] & 15]
    names[:, head + 3] = ord("}")
    names[:, head + 4 :] = ids[:, 1:]
    return names.tobytes()


def key_halves(keys: np.ndarray) -> np.ndarray:
    """The 16-byte keys as pairs of big-endian 64-bit integers: column 0 the first 8 bytes, 1 the last 8."""
    return np.frombuffer(np.ascontiguousarray(keys).tobytes(), dtype=">u8").reshape(-1, 2)


def bucket_runs(keys: np.ndarray, bucket_bits: int) -> BucketRuns:
    """Group keys by bucket (their first `bucket_bits` bits), in key order."""
    halves = key_halves(keys)
    high = halves[:, 0].astype(np.uint64)  # native order: sorting integers is much faster than bytes
    order = np.argsort(high, kind="stable")
    bucket_ids = ((high[order] >> np.uint64(64 - bucket_bits)) << np.uint64(32 - bucket_bits)).astype(
        np.uint32
    )
    starts = np.flatnonzero(np.r_[True, bucket_ids[1:] != bucket_ids[:-1]])
    sizes = np.diff(np.r_[starts, len(bucket_ids)])
    unique_ids = bucket_ids[starts]
    return BucketRuns(
        buckets=unique_ids.astype(">u4").tobytes(),
        counts=sizes.astype(">u4").tobytes(),
        fields=halves[order, 1].tobytes(),  # still big-endian: the field is the key's last 8 bytes
        order=order,
        shards=(unique_ids >> np.uint32(24)).astype(np.uint8),
        bucket_sizes=sizes,
    )
