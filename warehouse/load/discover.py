"""Walk the landing folder and list the files of the extract contract."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from warehouse.contract import ENTITIES, EXTENSIONS, Entity

_ENTITIES_BY_KEY = {(e.source, e.name): e for e in ENTITIES}


@dataclass(frozen=True)
class ExtractFile:
    """One delivered file in the landing folder.

    Attributes:
        path: Where the file is.
        relpath: Its path below the landing folder, with ``/`` separators; the name the
            ledger and the raw tables know it by.
        entity: The contract entity it delivers.
        extract_date: The date of its extract-date folder; None when the folder's name
            is not a date (the file then fails).
        reader: ``csv``, ``jsonl`` or ``parquet``.
    """

    path: Path
    relpath: str
    entity: Entity
    extract_date: dt.date | None
    reader: str


def discover(landing_dir: Path) -> tuple[list[ExtractFile], list[str]]:
    """List the contract files under ``landing_dir`` in a stable order.

    Returns:
        The extract files, and the relative paths of files that are not part of the
        contract (unknown source or entity, unknown extension); those are ignored.
        Folders whose name starts with ``_`` or ``.`` are skipped entirely.
    """
    files: list[ExtractFile] = []
    ignored: list[str] = []
    for path in sorted(landing_dir.rglob("*")):
        rel = path.relative_to(landing_dir)
        if not path.is_file() or any(p.startswith(("_", ".")) for p in rel.parts):
            continue
        reader, stem = split_extension(path.name)
        parts = rel.parts
        if reader is None or len(parts) != 3 or (parts[0], stem) not in _ENTITIES_BY_KEY:
            ignored.append(rel.as_posix())
            continue
        try:
            extract_date = dt.date.fromisoformat(parts[1])
        except ValueError:
            extract_date = None
        files.append(
            ExtractFile(
                path, rel.as_posix(), _ENTITIES_BY_KEY[(parts[0], stem)], extract_date, reader
            )
        )
    return files, ignored


def split_extension(name: str) -> tuple[str | None, str]:
    """The reader for a file name and the name without its contract extension.

    Returns:
        ``(reader, stem)``; the reader is None when the extension is not the contract's.
    """
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.lower().endswith(ext):
            return EXTENSIONS[ext], name[: -len(ext)]
    return None, name
