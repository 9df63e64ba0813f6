"""The export folder's private parts: permissions, versions and leftovers.

``<export_dir>/<run_date>`` is a symbolic link to an immutable folder
``<export_dir>/.versions/<run_date>-<id>/``; :mod:`.publish` swaps the link. Every
file and folder that holds personal data is created owner-only unless
``PZ_EXPORT_FILE_MODE`` says otherwise. Whatever an interrupted run left behind (a
staged folder, a link not yet swapped, a version nothing points to, a folder moved
aside by an earlier release) is removed by the next run.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from warehouse.export.layout import STAGING_PREFIX
from warehouse.settings import load_settings

log = logging.getLogger(__name__)

VERSIONS = ".versions"
LINK_PREFIX = ".link-"
#: Folders an earlier release renamed aside while publishing.
OLD_PREFIX = ".old-"


@dataclass(frozen=True)
class Modes:
    """Permission bits of export files and of the folders that hold them."""

    file: int
    folder: int


def export_modes() -> Modes:
    """The configured file mode and its folder mode (execute added where read is granted)."""
    file_mode = load_settings().export_file_mode
    return Modes(file=file_mode, folder=file_mode | (file_mode & 0o444) >> 2)


def make_private_dir(path: Path, modes: Modes, *, exist_ok: bool = False) -> None:
    """Create a folder with the folder mode (whatever the umask) before anything enters it.

    An existing folder keeps its mode: ``PZ_EXPORT_DIR`` may be shared on purpose.
    """
    try:
        os.mkdir(path, modes.folder)
    except FileExistsError:
        if not exist_ok:
            raise
        return
    os.chmod(path, modes.folder)


def version_of(link: Path) -> str | None:
    """Name of the version a run-date link points to (None for anything else)."""
    if not link.is_symlink():
        return None
    target = Path(os.readlink(link))
    if target.parent != Path(VERSIONS):
        return None
    return target.name


def clean_leftovers(export_dir: Path) -> list[str]:
    """Remove what interrupted runs left: staged folders, links, unreferenced versions.

    Only run by the export's single writer (the DAG runs one export at a time), so
    nothing removed here is in use by a publish in progress.

    Returns:
        The names removed (relative to ``export_dir``), for the log.
    """
    if not export_dir.is_dir():
        return []
    removed: list[str] = []
    referenced = {version_of(p) for p in export_dir.iterdir() if not p.name.startswith(".")}
    for entry in sorted(export_dir.iterdir()):
        if entry.name.startswith((STAGING_PREFIX, LINK_PREFIX, OLD_PREFIX)):
            _remove(entry)
            removed.append(entry.name)
    versions = export_dir / VERSIONS
    if versions.is_dir():
        for entry in sorted(versions.iterdir()):
            if entry.name not in referenced:
                _remove(entry)
                removed.append(f"{VERSIONS}/{entry.name}")
    if removed:
        log.info("removed leftovers of earlier export runs: %s", ", ".join(removed))
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
