from enrichment_platform.arrivals.file_names import day_bounds, file_timestamp, partition_key_for_file


def test_file_name_to_partition():
    assert file_timestamp("1721183934.jsonl") == 1721183934
    assert partition_key_for_file("1721183934.jsonl") == "2024-07-17"
    assert partition_key_for_file("1721260799.jsonl") == "2024-07-17"
    assert partition_key_for_file("1721260800.jsonl") == "2024-07-18"


def test_names_that_are_not_raw_files():
    for name in [
        "1721183934.json",
        "x1721183934.jsonl",
        "1721183934.jsonl.gz",
        "",
        ".jsonl",
        "999999999999.jsonl",
        "01721183934.jsonl",
    ]:
        assert partition_key_for_file(name) is None, name


def test_day_bounds():
    assert day_bounds("2024-07-17") == (1721174400, 1721260800)
