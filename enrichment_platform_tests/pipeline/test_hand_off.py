import pytest

from enrichment_platform.pipeline.hand_off import (
    EXPORTED,
    PARSED,
    QUARANTINE,
    RAW,
    LocalStage,
    remove_warehouse_inputs,
    validate_and_stage,
    validate_staged,
    warehouse_inputs,
)

DATA = b'{"company": "Acme", "title": "CFO"}\nnot json\n{"company": "Acme", "title": "Clerk"}\n'


def test_a_file_handed_over_on_disk_is_validated_like_the_bytes_and_kept_for_the_warehouse(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    direct, handed = LocalStage("run-a", "2024-07-17"), LocalStage("run-b", "2024-07-17")
    handed.write(RAW, "1.jsonl", "etag", DATA)

    assert validate_staged(handed, "1.jsonl", "etag") == validate_and_stage(direct, "1.jsonl", "etag", DATA)
    assert handed.read(RAW, "1.jsonl", "etag") == DATA
    for section in range(4):
        assert handed.read_section(PARSED, "1.jsonl", "etag", section) == direct.read_section(
            PARSED, "1.jsonl", "etag", section
        )


def test_a_file_not_handed_over_is_an_error_that_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="2.jsonl"):
        validate_staged(LocalStage("run", "2024-07-17"), "2.jsonl", "etag")


class RecordingStorage:
    """Stands in for PipelineStorage: answers every read with the location's name and records it."""

    raw, augmented, quarantine = "raw", "augmented", "quarantine"

    def __init__(self):
        self.reads = []

    def get_pieces(self, location, name, expected_etag=None):
        self.reads.append((location, expected_etag))
        yield f"{location} from S3".encode()


def test_the_warehouse_reads_what_the_run_staged_and_s3_for_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    stage, storage = LocalStage("run", "2024-07-17"), RecordingStorage()
    stage.write(RAW, "1.jsonl", "raw-etag", b"raw")
    stage.write(QUARANTINE, "1.jsonl", "raw-etag", b"quarantine")
    stage.write(EXPORTED, "1.jsonl", "output-etag", b"output")

    def read(openers):
        return tuple(b"".join(opener()) for opener in openers)

    staged = read(warehouse_inputs(stage, storage, "1.jsonl", "raw-etag", True, "output-etag"))
    assert staged == (b"raw", b"output", b"quarantine") and storage.reads == []
    # Another version of the file than the stage holds, and a file without quarantine: read from S3.
    stored = read(warehouse_inputs(stage, storage, "1.jsonl", "raw-2", True, "output-2"))
    assert stored == (b"raw from S3", b"augmented from S3", b"quarantine from S3")
    assert storage.reads == [("raw", "raw-2"), ("augmented", "output-2"), ("quarantine", None)]
    assert warehouse_inputs(stage, storage, "1.jsonl", "raw-etag", False, "output-etag")[2] is None

    remove_warehouse_inputs(stage, "1.jsonl", "raw-etag", "output-etag")
    assert [
        stage.read(kind, "1.jsonl", etag) for kind, etag in ((RAW, "raw-etag"), (EXPORTED, "output-etag"))
    ] == [
        None,
        None,
    ]
