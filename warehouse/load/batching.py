"""Group the files to load into batches read by one DuckDB scan each."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.contract import Entity
from warehouse.load.columns import extra_column_name, match_columns
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
        careful: Read the file record by record in Python rather than with DuckDB's
            reader (set after DuckDB failed on it; CSV only).
    """

    file: ExtractFile
    sha: str
    size: int
    names: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    careful: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the file delivers: contract columns by their contract names, then
        extra columns by the name they are kept under in raw."""
        return delivered_columns(self.file.entity, self.names)

    @property
    def key(self) -> tuple[str, str, str, tuple[str, ...]]:
        """Files with the same key are staged together."""
        return (self.file.entity.table, self.file.reader, self.file.path.suffix, self.names)

    @property
    def text_bytes(self) -> int:
        """Rough uncompressed size, for sizing batches."""
        return self.size * (6 if self.file.path.name.lower().endswith(".gz") else 1)


def delivered_columns(ent: Entity, names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Contract columns among ``names`` by their contract names, then the extra columns
    by the name they are kept under in raw."""
    if not names:
        return ()
    mapping, extras = match_columns(ent, list(names))
    taken = {n.lower() for n in extras}
    return (*mapping, *(extra_column_name(n, taken) for n in extras))


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
