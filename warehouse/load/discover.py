"""Walk the landing folder and list the files of the extract contract."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warehouse.contract import ENTITIES, EXTENSIONS, Entity

_ENTITIES_BY_KEY = {(e.source, e.name): e for e in ENTITIES}
#: ``YYYY-MM-DD`` and nothing else: ``date.fromisoformat`` alone also takes ``20260401``
#: and ISO week dates such as ``2026-W14-3``.
_DATE_FOLDER = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: Depth of a contract file below the landing folder: <source>/<extract_date>/<file>.
_DEPTH = 3


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
        problem: Why the file cannot be loaded (a folder that is not an extract date, a
            symbolic link, a path outside the landing folder); None if none.
        refused: The file must not even be opened (a link or a path outside the landing
            folder): it is neither hashed nor read.
    """

    path: Path
    relpath: str
    entity: Entity
    extract_date: dt.date | None
    reader: str
    problem: str | None = None
    refused: bool = False


def discover(landing_dir: Path) -> tuple[list[ExtractFile], list[str]]:
    """List the contract files under ``landing_dir`` in a stable order.

    Returns:
        The extract files, and the relative paths of files that are not part of the
        contract (unknown source or entity, unknown extension); those are ignored.
        Folders whose name starts with ``_`` or ``.`` are skipped entirely.
    """
    files: list[ExtractFile] = []
    ignored: list[str] = []
    root = landing_dir.resolve()
    for path, parts, linked in _walk(landing_dir, (), False):
        rel = "/".join(parts)
        reader, stem = split_extension(parts[-1])
        if reader is None or len(parts) != _DEPTH or (parts[0], stem) not in _ENTITIES_BY_KEY:
            ignored.append(rel)
            continue
        extract_date = parse_extract_date(parts[1])
        problem = None
        refused = linked or not path.resolve().is_relative_to(root)
        if linked:
            problem = (
                "refused: a symbolic link (or below one); only regular files inside the "
                "landing folder are read, and the link's target was not opened"
            )
        elif refused:
            problem = "refused: resolves outside the landing folder; its content was not read"
        elif extract_date is None:
            problem = (
                f"not in an extract-date folder: {parts[1]!r} is not a calendar date written "
                "YYYY-MM-DD (<source>/<YYYY-MM-DD>/<entity>.<ext>)"
            )
        files.append(
            ExtractFile(
                path,
                rel,
                _ENTITIES_BY_KEY[(parts[0], stem)],
                extract_date,
                reader,
                problem,
                refused,
            )
        )
    return files, ignored


def _walk(
    folder: Path, parts: tuple[str, ...], linked: bool
) -> Iterator[tuple[Path, tuple[str, ...], bool]]:
    """Every file below ``folder`` in sorted order, with its path parts and whether a
    symbolic link was crossed to reach it (links are listed, never read).

    A linked folder is listed only down to the depth of a contract file, so a link loop
    ends.
    """
    for child in sorted(folder.iterdir()):
        if child.name.startswith(("_", ".")):
            continue
        child_parts = (*parts, child.name)
        child_linked = linked or child.is_symlink()
        if child.is_dir():
            if not (child_linked and len(child_parts) >= _DEPTH):
                yield from _walk(child, child_parts, child_linked)
        elif child.is_file() or child_linked:
            yield child, child_parts, child_linked


def parse_extract_date(name: str) -> dt.date | None:
    """The date an extract-date folder names, or None unless it is exactly YYYY-MM-DD."""
    if not _DATE_FOLDER.match(name):
        return None
    try:
        return dt.date.fromisoformat(name)
    except ValueError:
        return None


def split_extension(name: str) -> tuple[str | None, str]:
    """The reader for a file name and the name without its contract extension.

    Returns:
        ``(reader, stem)``; the reader is None when the extension is not the contract's.
    """
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.lower().endswith(ext):
            return EXTENSIONS[ext], name[: -len(ext)]
    return None, name
