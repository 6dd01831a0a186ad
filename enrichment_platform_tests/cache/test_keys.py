import numpy as np

from enrichment_platform.cache.keys import (
    pair_key,
    pair_keys,
    spelling_key,
    spelling_keys,
    table_runs,
)


def test_pair_key_distinguishes_where_the_company_ends():
    assert pair_key("a b", "c") != pair_key("a", "b c")


def test_pair_keys_match_pair_key():
    pairs = [("acme corp", "cfo"), ("", "intern")]
    assert [key.tobytes() for key in pair_keys(pairs)] == [pair_key(*pair) for pair in pairs]


def test_table_runs_group_keys_by_their_first_six_bits_sorted_by_their_last_eight_bytes():
    keys = pair_keys([("acme", f"title {i}") for i in range(1000)])
    runs = table_runs(keys)
    assert runs.table_sizes.sum() == 1000 and len(runs.fields) == 1000 * 8
    tags = np.frombuffer(runs.tags, dtype=np.uint8)
    assert (np.diff(tags.astype(int)) > 0).all()  # one run per table, ascending
    assert np.frombuffer(runs.counts, dtype=">u4").tolist() == runs.table_sizes.tolist()
    sorted_keys = keys[runs.order]
    assert runs.fields == b"".join(key.tobytes()[8:] for key in sorted_keys)  # the last 8 bytes, in order
    fields = np.frombuffer(runs.fields, dtype=">u8")
    for part in runs.split_by_table():  # within a table the fields ascend: a bucket's keys are adjacent
        assert {key.tobytes()[0] >> 2 for key in keys[part.order]} == {part.tags[0]}
        assert (np.diff(np.frombuffer(part.fields, dtype=">u8").astype(np.float64)) >= 0).all()
    assert len(fields) == 1000


def test_a_slice_of_table_runs_keeps_its_keys_tables_and_fields():
    runs = table_runs(pair_keys([("acme", f"title {i}") for i in range(1000)]))
    parts = [runs.slice_keys(start, start + 300) for start in range(0, 1000, 300)]
    assert b"".join(part.fields for part in parts) == runs.fields
    assert np.concatenate([part.order for part in parts]).tolist() == runs.order.tolist()
    assert sum(part.table_sizes.sum() for part in parts) == 1000
    for part in parts:
        assert np.frombuffer(part.counts, dtype=">u4").tolist() == part.table_sizes.tolist()


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
