import threading

import numpy as np

from enrichment_platform.cache.keys import pair_key, pair_keys
from enrichment_platform.cache.known_levels import KnownLevels
from enrichment_platform.pipeline.augment import WAIT


def keys_of(count: int, start: int = 0) -> np.ndarray:
    return pair_keys([(f"company {i}", f"title {i}") for i in range(start, start + count)])


def test_levels_added_are_found_and_the_rest_are_unknown():
    known = KnownLevels(min_merge=1)
    keys = keys_of(100)
    known.add(keys[:60], np.arange(60) % 7 + 1)
    assert known.get(keys).tolist() == [i % 7 + 1 for i in range(60)] + [0] * 40
    assert known.hits == 60
    assert known.get(keys[:0]).tolist() == []


def test_misses_and_claims_are_not_remembered_and_a_pair_learnt_twice_is_kept_once():
    known = KnownLevels(min_merge=1)
    keys = keys_of(4)
    known.add(keys, np.array([0, WAIT, 3, 8], dtype=np.uint8))
    assert known.get(keys).tolist() == [0, 0, 3, 0]
    known.add(keys[2:3], np.array([3], dtype=np.uint8))
    assert len(known) == 1


def test_keys_equal_in_their_first_half_are_told_apart():
    first = pair_key("a", "b")
    twin = first[:8] + bytes(8)
    keys = np.frombuffer(first + twin, dtype="V16")
    known = KnownLevels(min_merge=1)
    known.add(keys[:1], np.array([5], dtype=np.uint8))
    assert known.get(keys).tolist() == [5, 0]


def test_learnt_levels_wait_until_enough_have_gathered_and_the_size_is_capped():
    known = KnownLevels(min_merge=50, max_known=120)
    known.add(keys_of(40), np.full(40, 2))
    assert len(known) == 0  # waiting: merged with the next ones
    known.add(keys_of(40, start=40), np.full(40, 2))
    assert len(known) == 80
    known.add(keys_of(100, start=80), np.full(100, 2))
    assert len(known) == 120
    known.add(keys_of(100, start=500), np.full(100, 2))
    assert len(known) == 120


def test_lookup_through_asks_only_for_unknown_keys_and_remembers_their_levels():
    known = KnownLevels(min_merge=1)
    keys = keys_of(10)
    asked = []
    answers = iter([[4, 0, WAIT] + [6] * 7, [4, 0]])

    def lookup(wanted: np.ndarray) -> np.ndarray:
        asked.append(len(wanted))
        return np.array(next(answers), dtype=np.uint8)

    lookup_known_first = known.lookup_through(lookup)
    assert lookup_known_first(keys).tolist() == [4, 0, WAIT] + [6] * 7
    assert lookup_known_first(keys).tolist() == [4, 4, 0] + [6] * 7  # keys 1 and 2 asked again
    assert asked == [10, 2]

    stored = []
    store = known.store_through(lambda k, levels: stored.append(levels.tolist()))
    store(keys[2:3], np.array([2], dtype=np.uint8))  # key 2 was claimed, then inferred
    assert stored == [[2]] and known.get(keys).tolist() == [4, 4, 2] + [6] * 7


def test_threads_adding_and_reading_at_once_see_only_right_levels():
    known = KnownLevels(min_merge=64)
    keys = keys_of(4_000)
    levels = (np.arange(4_000) % 7 + 1).astype(np.uint8)
    wrong = []

    def work(part: int) -> None:
        for chunk in range(part, 40, 4):
            section = slice(chunk * 100, chunk * 100 + 100)
            known.add(keys[section], levels[section])
            found = known.get(keys)
            if np.any((found != 0) & (found != levels)):
                wrong.append(chunk)

    threads = [threading.Thread(target=work, args=(part,)) for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong
    assert len(known) > 3_200  # what waits to be merged is under a quarter of what is known
