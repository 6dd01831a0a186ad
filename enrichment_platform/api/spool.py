"""One part's body on its way from the client to S3: spooled to a temporary file as it arrives (never held
whole in memory), its non-blank lines counted across chunk boundaries, its size capped."""

import tempfile
from typing import BinaryIO

MAX_PART_BYTES = 50 * 1024 * 1024  # 52,428,800 bytes: larger parts are refused (413)
FLUSH_BYTES = 1 << 20  # received bytes are written to the file in runs of this size


class PartTooLargeError(ValueError):
    """The part's body is over MAX_PART_BYTES."""


class PartSpool:
    """Receives a part's chunks: counts its non-blank lines as the raw-file contract splits them (on b"\\n";
    a line of whitespace only is blank; the last line needs no newline) and keeps the bytes in a temporary
    file. `add` is cheap and runs on the event loop; `flush` writes to disk and belongs in a thread."""

    def __init__(self, max_bytes: int = MAX_PART_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self.lines = 0
        self._line_has_text = False  # the line still open at the end of the last chunk
        self._pending = bytearray()
        self.file: BinaryIO = tempfile.TemporaryFile(prefix="enrichment-part-")

    def add(self, chunk: bytes) -> bool:
        """Take a chunk; True when enough is pending that `flush` should run. Raises PartTooLargeError."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise PartTooLargeError(
                f"the part is over {self.max_bytes:,} bytes; split the postings into smaller parts"
            )
        pieces = chunk.split(b"\n")
        if len(pieces) == 1:
            self._line_has_text = self._line_has_text or bool(chunk.strip())
        else:
            self.lines += self._line_has_text or bool(pieces[0].strip())
            self.lines += sum(1 for piece in pieces[1:-1] if piece.strip())
            self._line_has_text = bool(pieces[-1].strip())
        self._pending += chunk
        return len(self._pending) >= FLUSH_BYTES

    def flush(self) -> None:
        """Write the pending bytes to the temporary file."""
        self.file.write(self._pending)
        self._pending.clear()

    def finish(self) -> BinaryIO:
        """The whole body, rewound, once the last chunk was added; the open last line is counted."""
        self.flush()
        self.lines += self._line_has_text
        self._line_has_text = False
        self.file.seek(0)
        return self.file

    def discard(self) -> None:
        """Drop the body (the temporary file is removed when closed)."""
        self._pending.clear()
        self.file.close()
