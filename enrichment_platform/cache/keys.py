"""Fingerprints of normalized pairs, and how they are laid out in the Redis cache.

A pair's key is the 128-bit xxh3 hash of its normalized company and title. In Redis, the key's first 6 bits
(the *tag*) choose one of 64 tables and its last 8 bytes are the field inside that table's buckets, so the
cache tells pairs apart by 6 + 64 = 70 bits: the odds that any two of 20M pairs collide are about 2e-7, and
about 4e-6 for 100M pairs (birthday bound n^2 / 2^(bits+1)). 64 tables spread a namespace over up to 64
Redis Cluster shards, and a lookup on a cluster costs one call per table.

Each table grows by linear hashing: its buckets are named by the leading bits of their fields (the bucket of
prefix p of length l has the id 2^l + p, so the children of id x are 2x and 2x + 1), and whenever the table
holds more than PAIRS_PER_BUCKET fields per bucket, the script that added them splits the next bucket in
order. The split state lives in the table's own key and is read by the same script call, so a lookup is
one round trip however the table has grown.

Layout of a namespace `ns` (one per model version):
- `sen:ns:meta`: a hash with `created`.
- `sen:ns:{tt}` (tt = the tag in hex, the cluster hash tag, so a table's keys share a slot): the table's
  state, a hash with `l` (level), `s` (split pointer: buckets of level l before it are split) and `n`
  (fields held: levels and live claims).
- `sen:ns:{tt}IIII`: a bucket (IIII its id, 4 raw bytes), a hash whose fields are the pairs' last 8 key bytes
  and whose values are the level ("1".."7"), or, while a worker infers the pair, a claim
  `c<expiry ms>:<worker>`.
"""

import re
from dataclasses import dataclass

import numpy as np
import xxhash

from enrichment_platform.postings.normalize import normalize_pair, normalize_texts

# str.split() treats the unit separator as whitespace, so it never occurs inside normalized text.
PAIR_SEPARATOR = "\x1f"
KEY_DTYPE = np.dtype("V16")
FIELD_BYTES = 8
# A table splits a bucket whenever it holds more than this many fields per bucket, so its buckets hold 40
# on average and at most about 80 (the one split next), well under Redis' default hash-max-listpack-entries
# (128): every bucket stays a compact listpack.
PAIRS_PER_BUCKET = 48
TAG_BITS = 6
TABLES = 2**TAG_BITS
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


def tag_key(namespace: str, tag: int) -> str:
    """The state key of one of a namespace's tables, also the start of its buckets' names."""
    return f"{namespace_prefix(namespace)}{{{tag:02x}}}"


@dataclass
class TableRuns:
    """Keys sorted by table and field, packed for one Redis script call.

    `tags`: 1 byte per table present; `counts`: 4 bytes per table, big-endian; `fields`: 8 bytes per key
    (its last 8 bytes), in order within each table, so the keys of one bucket are adjacent whatever the
    table's split state; `order`: the sort permutation.
    """

    tags: bytes
    counts: bytes
    fields: bytes
    order: np.ndarray
    table_sizes: np.ndarray

    def split_by_table(self) -> list["TableRuns"]:
        """One TableRuns per table present (keys stay in sorted order across the parts): a cluster runs a
        script on the keys of one slot only."""
        parts, start = [], 0
        for index, size in enumerate(self.table_sizes):
            parts.append(
                TableRuns(
                    tags=self.tags[index : index + 1],
                    counts=self.counts[index * 4 : index * 4 + 4],
                    fields=self.fields[start * FIELD_BYTES : (start + size) * FIELD_BYTES],
                    order=self.order[start : start + size],
                    table_sizes=self.table_sizes[index : index + 1],
                )
            )
            start += size
        return parts

    def slice_keys(self, start: int, stop: int) -> "TableRuns":
        """The sorted keys start..stop as runs of their own (to bound the work of one script call)."""
        tags = np.repeat(np.frombuffer(self.tags, dtype=np.uint8), self.table_sizes)[start:stop]
        firsts = np.flatnonzero(np.r_[True, tags[1:] != tags[:-1]])
        sizes = np.diff(np.r_[firsts, len(tags)])
        return TableRuns(
            tags=tags[firsts].tobytes(),
            counts=sizes.astype(">u4").tobytes(),
            fields=self.fields[start * FIELD_BYTES : stop * FIELD_BYTES],
            order=self.order[start:stop],
            table_sizes=sizes,
        )


def key_halves(keys: np.ndarray) -> np.ndarray:
    """The 16-byte keys as pairs of big-endian 64-bit integers: column 0 the first 8 bytes, 1 the last 8."""
    return np.frombuffer(np.ascontiguousarray(keys).tobytes(), dtype=">u8").reshape(-1, 2)


def table_runs(keys: np.ndarray) -> TableRuns:
    """Group keys by table (their first TAG_BITS bits), ordered by field within each."""
    halves = key_halves(keys)
    tags = (halves[:, 0] >> np.uint64(64 - TAG_BITS)).astype(np.uint64)
    low = halves[:, 1].astype(np.uint64)  # native order: sorting integers is much faster than bytes
    # One integer sort: the tag, then the field's leading 56 bits (a bucket is named by at most 32 of them).
    order = np.argsort((tags << np.uint64(56)) | (low >> np.uint64(8)), kind="stable")
    sorted_tags = tags[order].astype(np.uint8)
    firsts = np.flatnonzero(np.r_[True, sorted_tags[1:] != sorted_tags[:-1]])
    sizes = np.diff(np.r_[firsts, len(sorted_tags)])
    return TableRuns(
        tags=sorted_tags[firsts].tobytes(),
        counts=sizes.astype(">u4").tobytes(),
        fields=halves[order, 1].tobytes(),  # still big-endian: the field is the key's last 8 bytes
        order=order,
        table_sizes=sizes,
    )
