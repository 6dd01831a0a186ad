from enrichment_platform.core.arrivals import ArrivalCursor, detect_arrivals

DAY = 86_400
JUL17 = 1721174400  # 2024-07-17T00:00:00Z


def names(*timestamps):
    return [f"{ts}.jsonl" for ts in timestamps]


def detect(cursor, listed, lookback=3600):
    return detect_arrivals(cursor, listed, "2024-01-01", "2024-07-20", lookback)


def test_new_files_are_grouped_by_date():
    arrivals, cursor = detect(ArrivalCursor(), names(JUL17 + 5, JUL17 + 60, JUL17 + DAY + 1))
    assert arrivals.by_partition == {
        "2024-07-17": names(JUL17 + 5, JUL17 + 60),
        "2024-07-18": names(JUL17 + DAY + 1),
    }
    assert cursor.high_water == JUL17 + DAY + 1


def test_files_seen_are_not_reported_again():
    _, cursor = detect(ArrivalCursor(), names(JUL17 + 5))
    arrivals, _ = detect(ArrivalCursor.from_string(cursor.to_string()), names(JUL17 + 5, JUL17 + 10))
    assert arrivals.by_partition == {"2024-07-17": names(JUL17 + 10)}


def test_late_file_with_an_older_name_inside_the_lookback_is_found():
    _, cursor = detect(ArrivalCursor(), names(JUL17 + 1000, JUL17 + 2000))
    arrivals, _ = detect(cursor, names(JUL17 + 1000, JUL17 + 1500, JUL17 + 2000))
    assert arrivals.by_partition == {"2024-07-17": names(JUL17 + 1500)}


def test_scan_starts_lookback_before_the_newest_file():
    assert ArrivalCursor().scan_start(3600) == ""
    assert ArrivalCursor(high_water=JUL17).scan_start(3600) == str(JUL17 - 3600)


def test_seen_set_is_pruned_to_the_lookback_window():
    _, cursor = detect(ArrivalCursor(), names(JUL17, JUL17 + 4000), lookback=3600)
    assert cursor.seen == set(names(JUL17 + 4000))


def test_unrecognized_keys_are_reported_once():
    listed = names(JUL17) + ["notes.txt", "1721174400.json", "abc.jsonl"]
    arrivals, cursor = detect(ArrivalCursor(), listed)
    assert sorted(arrivals.unrecognized) == ["1721174400.json", "abc.jsonl", "notes.txt"]
    again, _ = detect(cursor, listed)
    assert again.unrecognized == [] and again.by_partition == {}


def test_files_before_the_first_partition_are_warned_and_future_files_wait():
    early, future = 1600000000, JUL17 + 10 * DAY
    arrivals, cursor = detect(ArrivalCursor(), names(early, future))
    assert arrivals.before_start == names(early)
    assert arrivals.in_future == names(future)
    assert arrivals.by_partition == {}
    assert f"{future}.jsonl" not in cursor.seen
