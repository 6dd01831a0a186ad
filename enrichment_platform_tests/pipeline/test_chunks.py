"""Cutting a file into chunks of whole lines, and url repeats counted over its chunks."""

import pytest

from enrichment_platform.pipeline.chunks import RepeatedUrls, chunk_bytes, cut_lines
from enrichment_platform.postings.parse import repeated_values

DATA = b'{"a": 1}\n\n{"b": "a longer line than the others"}\r\n{"c": 3}\nno final newline'


def pieces_of(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


@pytest.mark.parametrize("piece_size", [1, 3, 7, 1000])
@pytest.mark.parametrize("size", [1, 2, 9, 10, 40, 1000])
def test_chunks_are_whole_lines_that_put_back_together_give_the_file(size, piece_size):
    chunks = list(cut_lines(pieces_of(DATA, piece_size), size))

    assert b"".join(chunks) == DATA
    assert all(chunk.endswith(b"\n") for chunk in chunks[:-1])
    for chunk in chunks[:-1]:  # each ends at the first line end from its size-th byte on
        assert b"\n" not in chunk[size - 1 : -1]
        assert len(chunk) >= size


def test_a_chunk_of_one_byte_is_one_line_each():
    assert list(cut_lines([DATA], 1)) == DATA.splitlines(keepends=True)


def test_a_file_within_one_chunk_is_one_chunk_and_nothing_gives_nothing():
    assert list(cut_lines(pieces_of(DATA, 5), len(DATA))) == [DATA]
    assert list(cut_lines([], 10)) == []
    assert list(cut_lines([b""], 10)) == []


def test_a_line_longer_than_a_chunk_is_kept_whole():
    line = b"x" * 100 + b"\n"
    assert list(cut_lines(pieces_of(line * 3, 7), 10)) == [line] * 3


@pytest.mark.parametrize("cut", [1, 2, 3, 5])
def test_url_repeats_over_chunks_equal_those_of_the_whole_list(cut):
    urls = ["https://a/", None, "https://b/", 1, True, 1.0, None, "https://a/", ["x"], {"y": 1}, "1"]
    urls += ["https://b/", 2, ["x"], "https://c/", None, "\ud800"]
    repeats = RepeatedUrls()
    for start in range(0, len(urls), cut):
        repeats.add(urls[start : start + cut])

    assert repeats.repeats() == repeated_values(urls) == 4


def test_chunk_bytes_is_a_positive_number_of_bytes(monkeypatch):
    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", "0")
    assert chunk_bytes() == 1
    monkeypatch.setenv("ENRICHMENT_CHUNK_BYTES", "lots")
    with pytest.raises(ValueError, match="ENRICHMENT_CHUNK_BYTES"):
        chunk_bytes()
