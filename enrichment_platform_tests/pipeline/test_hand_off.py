import pytest

from enrichment_platform.pipeline.hand_off import LocalStage, validate_and_stage, validate_incoming

DATA = b'{"company": "Acme", "title": "CFO"}\nnot json\n{"company": "Acme", "title": "Clerk"}\n'


def test_a_file_handed_over_on_disk_is_validated_like_the_bytes_and_its_copy_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    direct, handed = LocalStage("run-a", "2024-07-17"), LocalStage("run-b", "2024-07-17")
    handed.write("incoming", "1.jsonl", "etag", DATA)

    assert validate_incoming(handed, "1.jsonl", "etag") == validate_and_stage(direct, "1.jsonl", "etag", DATA)
    assert handed.read("incoming", "1.jsonl", "etag") is None
    for section in range(4):
        assert handed.read_section("parsed", "1.jsonl", "etag", section) == direct.read_section(
            "parsed", "1.jsonl", "etag", section
        )


def test_a_file_not_handed_over_is_an_error_that_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ENRICHMENT_LOCAL_STAGE_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="2.jsonl"):
        validate_incoming(LocalStage("run", "2024-07-17"), "2.jsonl", "etag")
