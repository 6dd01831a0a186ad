"""A part's body spooled to disk: non-blank lines counted as the raw-file contract splits them, whatever the
chunking, and the 50 MB cap."""

import pytest

from enrichment_platform.api.spool import MAX_PART_BYTES, PartSpool, PartTooLargeError

BODY = b'{"title": "CEO"}\n\n   \n{"title": "CTO"}\r\n\t\n{"title": "no newline at the end"}'


def spooled(chunks: list[bytes], max_bytes: int = MAX_PART_BYTES) -> tuple[int, bytes]:
    spool = PartSpool(max_bytes)
    for chunk in chunks:
        if spool.add(chunk):
            spool.flush()
    data = spool.finish().read()
    spool.discard()
    return spool.lines, data


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(BODY)])
def test_non_blank_lines_are_counted_whatever_the_chunk_boundaries(size):
    chunks = [BODY[start : start + size] for start in range(0, len(BODY), size)]
    lines, data = spooled(chunks)
    assert lines == 3  # whitespace-only lines are blank; the last line needs no newline
    assert data == BODY


def test_a_final_newline_does_not_count_another_line():
    assert spooled([b"a\n", b"b\n"])[0] == 2
    assert spooled([b"\n\n"])[0] == 0


def test_a_part_over_the_cap_is_refused_as_soon_as_it_is_over():
    spool = PartSpool(max_bytes=10)
    spool.add(b"0123456789")
    with pytest.raises(PartTooLargeError, match="over 10 bytes"):
        spool.add(b"x")
    spool.discard()
