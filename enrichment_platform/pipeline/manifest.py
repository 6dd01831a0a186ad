"""Per-partition records of which files an asset has processed, and from which version of its input."""

from dataclasses import dataclass, field

import orjson


@dataclass
class Manifest:
    """File name -> what processing it recorded; `source` is the version (ETag) of the input it used."""

    files: dict[str, dict] = field(default_factory=dict)

    def pending(self, sources: dict[str, str], full_refresh: bool = False) -> list[str]:
        """Names whose input is new or changed since it was processed (all of them on a full refresh)."""
        if full_refresh:
            return sorted(sources)
        return sorted(
            name for name, version in sources.items() if self.files.get(name, {}).get("source") != version
        )

    def record(self, name: str, source: str, **facts) -> None:
        self.files[name] = {"source": source, **facts}

    def total(self, fact: str) -> int:
        """Sum of a numeric fact over every recorded file."""
        return sum(entry.get(fact, 0) for entry in self.files.values())

    def to_bytes(self) -> bytes:
        return orjson.dumps({"files": self.files}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "Manifest":
        return cls(files=orjson.loads(data)["files"]) if data else cls()
