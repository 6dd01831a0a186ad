import numpy as np

from enrichment_platform.cache.keys import (
    bucket_bits_for,
    bucket_names,
    bucket_runs,
    pair_key,
    pair_keys,
    spelling_key,
    spelling_keys,
)


def test_pair_key_distinguishes_where_the_company_ends():
    assert pair_key("a b", "c") != pair_key("a", "b c")


def test_pair_keys_match_pair_key():
    pairs = [("acme corp", "cfo"), ("", "intern")]
    assert [key.tobytes() for key in pair_keys(pairs)] == [pair_key(*pair) for pair in pairs]


def test_sizing_rule_keeps_buckets_under_the_listpack_limit():
    assert bucket_bits_for(20_000_000) == 18  # 76 pairs per bucket on average
    assert bucket_bits_for(2_000_000) == 15  # 61
    assert 20_000_000 / 2 ** bucket_bits_for(20_000_000) <= 80
    assert bucket_bits_for(10) == 8


def test_bucket_runs_group_keys_by_their_leading_bits():
    keys = pair_keys([("acme", f"title {i}") for i in range(1000)])
    runs = bucket_runs(keys, bucket_bits=8)
    assert runs.bucket_sizes.sum() == 1000
    assert len(runs.fields) == 1000 * 8
    buckets = np.frombuffer(runs.buckets, dtype=">u4")
    assert (np.diff(buckets.astype(np.int64)) > 0).all()  # one run per bucket, ascending
    assert (buckets & 0x00FFFFFF == 0).all()  # 8 bits: only the first byte varies
    # The fields are the keys' last 8 bytes, in sorted key order.
    sorted_keys = keys[runs.order]
    assert runs.fields[:8] == sorted_keys[0].tobytes()[8:]
    assert sum(len(part.order) for part in runs.split_by_shard()) == 1000


def test_bucket_names_are_prefix_hash_tag_and_raw_id_bytes():
    names = bucket_names(b"sen:v1:", bytes([0xAB, 1, 2, 3, 0x05, 0xFF, 0, 0x7B]))
    assert names == b"sen:v1:{ab}\x01\x02\x03" + b"sen:v1:{05}\xff\x00{"


def test_spelling_keys_match_spelling_key_on_ascii_and_unicode_text():
    spellings = [
        ("Acme Corp", "Senior Data Engineer"),
        ("  ACME\tCORP ", "senior  data\nengineer"),
        ("", "CEO"),
        ("Ａｃｍｅ Corp", "Senior Data Engineer"),
        ("Straße GmbH", "LEITER\u00a0VERTRIEB"),
        ("x\x1fy", "ﬁnance"),
        ("İstanbul A.Ş.", "Müdür"),
        ("a\u2003b", "\u3000Lead\u3000"),
        ("Acme", "Engineer ½"),
    ]
    assert spelling_keys(spellings).tobytes() == b"".join(spelling_key(c, t) for c, t in spellings)
