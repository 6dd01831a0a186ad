from enrichment_platform.arrivals.scan import (
    ArrivalCursor,
    QueueCursor,
    detect_arrivals,
    detect_queued_arrivals,
)

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


NOW = JUL17 + 3 * DAY


def detect_queued(cursor, announced, handles=(), now=NOW, last="2024-07-20"):
    return detect_queued_arrivals(
        cursor, announced, list(handles), "2024-01-01", last, now, remember_seconds=3600
    )


def test_announced_files_are_grouped_by_date_once_however_often_they_are_announced():
    arrivals, cursor = detect_queued(QueueCursor(), names(JUL17 + 60, JUL17 + 5, JUL17 + 60, JUL17 + DAY))
    assert arrivals.by_partition == {
        "2024-07-17": names(JUL17 + 5, JUL17 + 60),
        "2024-07-18": names(JUL17 + DAY),
    }
    assert cursor.high_water == JUL17 + DAY


def test_the_receipt_handles_of_a_tick_are_kept_for_the_next_tick_to_delete():
    _, cursor = detect_queued(QueueCursor(to_delete=["old"]), names(JUL17), handles=["h1", "h2"])
    assert QueueCursor.from_string(cursor.to_string()).to_delete == ["h1", "h2"]


def test_a_file_announced_again_within_the_memory_is_not_requested_again_and_later_it_is():
    _, cursor = detect_queued(QueueCursor(), names(JUL17 + 5))
    again, cursor = detect_queued(QueueCursor.from_string(cursor.to_string()), names(JUL17 + 5), now=NOW + 60)
    assert again.by_partition == {}
    much_later, _ = detect_queued(cursor, names(JUL17 + 5), now=NOW + 3601)
    assert much_later.by_partition == {"2024-07-17": names(JUL17 + 5)}


def test_a_file_dated_after_today_waits_in_the_cursor_and_is_requested_on_its_day():
    future = JUL17 + 5 * DAY  # 2024-07-22
    arrivals, cursor = detect_queued(QueueCursor(), names(future), handles=["h"])
    assert arrivals.in_future == names(future) and arrivals.by_partition == {}
    waiting, cursor = detect_queued(cursor, [], now=NOW + 60)  # its message is gone, the name is not
    assert waiting.in_future == names(future)
    on_its_day, cursor = detect_queued(cursor, [], now=NOW + 2 * DAY, last="2024-07-22")
    assert on_its_day.by_partition == {"2024-07-22": names(future)}
    assert cursor.waiting == []


def test_unrecognized_names_and_files_before_the_first_partition_are_reported():
    arrivals, _ = detect_queued(QueueCursor(), ["a b.jsonl", "0123.jsonl", *names(1600000000)])
    assert arrivals.unrecognized == ["a b.jsonl", "0123.jsonl"]
    assert arrivals.before_start == names(1600000000)


def test_switching_modes_keeps_the_newest_file_and_drops_the_other_modes_state():
    queue_cursor = QueueCursor(to_delete=["h"], requested={"x.jsonl": NOW}, high_water=JUL17)
    listing = ArrivalCursor.from_string(queue_cursor.to_string())
    assert (listing.high_water, listing.seen, listing.ignored) == (JUL17, set(), set())
    back = QueueCursor.from_string(ArrivalCursor(high_water=JUL17 + 9, seen={"a"}).to_string())
    assert back == QueueCursor(high_water=JUL17 + 9)


def test_a_name_ahead_of_the_clock_does_not_move_the_window_past_a_late_file():
    now = JUL17 + 3600  # 01:00 on the 17th
    ahead = JUL17 + 17 * 3600  # a name of today, 16 h ahead of the clock (skew, a bad name)
    first = detect_arrivals(ArrivalCursor(), names(JUL17 + 60, ahead), "2024-01-01", "2024-07-17", DAY, now)
    cursor = ArrivalCursor.from_string(first[1].to_string())
    assert cursor.high_water == now  # not `ahead`
    start = cursor.scan_start(DAY, now)
    late = JUL17 - 10 * 3600  # yesterday's file, landing now: within a day of the clock
    assert names(late)[0] > start  # the next listing shows it
    arrivals, _ = detect_arrivals(
        cursor, names(late, JUL17 + 60, ahead), "2024-01-01", "2024-07-17", DAY, now
    )
    assert arrivals.by_partition == {"2024-07-16": names(late)}


def test_a_cursor_left_ahead_of_the_clock_lists_from_a_lookback_before_now():
    assert ArrivalCursor(high_water=JUL17 + DAY).scan_start(3600, now=JUL17) == str(JUL17 - 3600)


def test_queued_names_ahead_of_the_clock_do_not_move_the_high_water():
    _, cursor = detect_queued_arrivals(
        QueueCursor(), names(JUL17 + 7200), ["h"], "2024-01-01", "2024-07-17", now=JUL17, remember_seconds=60
    )
    assert cursor.high_water == JUL17
