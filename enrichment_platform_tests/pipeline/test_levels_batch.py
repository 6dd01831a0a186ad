"""The levels of many files in one staged object: each file's digits found again at its offset."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from enrichment_platform.pipeline.levels_batch import (
    LevelsBatch,
    batch_names,
    levels_hash,
    read_batched_levels,
    referenced_objects,
)
from enrichment_platform.pipeline.locations import S3Location
from enrichment_platform.pipeline.storage import S3AccessError


def test_each_file_is_found_at_its_offset_when_added_from_many_threads():
    batch = LevelsBatch(batch_names("run1"))
    files = {f"{n}.jsonl": bytes(str(n % 7 + 1), "ascii") * (n % 50) for n in range(400)}
    with ThreadPoolExecutor(8) as pool:
        where = dict(zip(files, pool.map(batch.add, files.values())))

    name, data = batch.take()

    for file, digits in files.items():
        entry = where[file]
        assert entry["staged"] == name
        assert data[entry["offset"] : entry["offset"] + entry["length"]] == digits
        assert entry["levels_hash"] == levels_hash(digits)
    assert len(data) == sum(map(len, files.values()))


def test_take_hands_over_what_was_added_since_the_last_take_under_a_new_name():
    batch = LevelsBatch(batch_names("run1"))
    assert batch.take() is None  # nothing added: no object to write
    first = batch.add(b"123")
    assert batch.take() == (first["staged"], b"123")
    assert batch.take() is None
    second = batch.add(b"77")

    assert second["staged"] != first["staged"] and second["offset"] == 0
    assert batch.take() == (second["staged"], b"77")


def test_an_empty_file_has_a_place_too():
    batch = LevelsBatch(batch_names("run1"))
    entry = batch.add(b"")
    assert (entry["offset"], entry["length"]) == (0, 0)
    assert batch.take() == (entry["staged"], b"")


def test_batch_names_are_unique_to_a_run():
    names = batch_names("abc")
    first, second = next(names), next(names)
    assert first != second and "abc" in first
    assert next(batch_names("xyz")) not in (first, second)


def test_referenced_objects_are_the_batches_entries_point_into():
    entries = {
        "a": {"staged": "levels-r-000001.digits", "offset": 0},
        "b": {"staged": "levels-r-000002.digits", "offset": 5},
        "c": {"staged": "levels-r-000002.digits", "offset": 9},
    }
    assert referenced_objects(entries) == {"levels-r-000001.digits", "levels-r-000002.digits"}


class StagedObjects:
    """Ranged reads of objects kept in a dict, as the storage resource makes them in S3."""

    def __init__(self, objects: dict[str, bytes]):
        self.objects = objects

    def get_range(self, location, name, offset, length):
        return self.objects[name][offset : offset + length]


def test_a_file_s_levels_are_read_back_from_its_batch_and_refused_when_changed():
    batch = LevelsBatch(batch_names("r"))
    batch.add(b"12")
    entry = batch.add(b"777")
    name, data = batch.take()
    staged = S3Location("bucket", "staging/")
    assert read_batched_levels(StagedObjects({name: data}), staged, "f.jsonl", entry) == b"777"
    with pytest.raises(S3AccessError, match="levels of f.jsonl at byte 2 do not match their hash"):
        read_batched_levels(StagedObjects({name: b"12771"}), staged, "f.jsonl", entry)
