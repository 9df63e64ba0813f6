"""Group the files to load into batches read by one DuckDB scan each."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.load.discover import ExtractFile

#: Files of one entity are read, validated and committed together, up to about this much
#: uncompressed text per batch (a gzip file counts six times its size): one scan over
#: many small daily files keeps both cores busy and commits once.
DEFAULT_BATCH_BYTES = 256 << 20


@dataclass(frozen=True)
class Pending:
    """A file to load, with what was learnt about it before staging.

    Attributes:
        file: The delivered file.
        sha: Its sha256.
        size: Its size in bytes.
        names: Delivered column names (CSV header, Parquet schema); empty for JSON lines.
        warnings: What was found off before reading the rows (see ``FileResult``).
    """

    file: ExtractFile
    sha: str
    size: int
    names: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The contract columns the file delivers, by their contract names."""
        by_key = {c.name.lower(): c.name for c in self.file.entity.columns}
        return tuple(by_key[n.lower()] for n in self.names if n.lower() in by_key)

    @property
    def key(self) -> tuple[str, str, str, tuple[str, ...]]:
        """Files with the same key are staged together."""
        return (self.file.entity.table, self.file.reader, self.file.path.suffix, self.names)

    @property
    def text_bytes(self) -> int:
        """Rough uncompressed size, for sizing batches."""
        return self.size * (6 if self.file.path.name.lower().endswith(".gz") else 1)


def plan_batches(pending: list[Pending], max_bytes: int) -> list[list[Pending]]:
    """Files grouped by entity and layout, in discovery order, each group cut to size."""
    groups: dict[tuple, list[Pending]] = {}
    for p in pending:
        groups.setdefault(p.key, []).append(p)
    batches: list[list[Pending]] = []
    for files in groups.values():
        current: list[Pending] = []
        size = 0
        for p in files:
            if current and size + p.text_bytes > max_bytes:
                batches.append(current)
                current, size = [], 0
            current.append(p)
            size += p.text_bytes
        batches.append(current)
    return batches
