"""Publish an audited staged folder as ``<export_dir>/<run_date>``, atomically.

``<export_dir>/<run_date>`` is a symbolic link to an immutable version folder
``<export_dir>/.versions/<run_date>-<id>/``. Publishing moves the staged folder (its
manifest renamed into place last) to a new version, then replaces the link with one
``os.replace`` of a new link: a reader sees the old complete folder or the new complete
one at every instant, even if the process is killed between any two steps. A real
folder published by an earlier release is swapped for the link in one exchange
(``renameat2(RENAME_EXCHANGE)``, Linux). What a killed run leaves behind is removed by
the next run (:func:`~warehouse.export.folders.clean_leftovers`).
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import secrets
from pathlib import Path

from warehouse.export.folders import (
    LINK_PREFIX,
    OLD_PREFIX,
    VERSIONS,
    clean_leftovers,
    export_modes,
    make_private_dir,
)
from warehouse.export.layout import (
    MANIFEST,
    PENDING_MANIFEST,
    STAGING_PREFIX,
    check_run_date,
    listed_files,
)
from warehouse.export.manifest import read_pending
from warehouse.files import sha256_file

log = logging.getLogger(__name__)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def publish_exports(staging_dir: Path | str, export_dir: Path | str) -> Path:
    """Make the audited files the run date's published folder, in one atomic step.

    Files are re-hashed first, so what was audited is what is published; they are
    flushed to disk before the link moves, and the version the link pointed to before
    is deleted after.

    Args:
        staging_dir: The folder :func:`~warehouse.export.stage_exports` wrote and
            :func:`~warehouse.export.audit_exports` passed.
        export_dir: ``PZ_EXPORT_DIR``.

    Returns:
        The published folder ``<export_dir>/<run_date>`` (the link).
    """
    staging = Path(staging_dir)
    export_dir = Path(export_dir)
    manifest = read_pending(staging)
    run_date = check_run_date(manifest["run_date"])
    for entry in listed_files(manifest):
        if sha256_file(staging / entry["file"]) != entry["sha256"]:
            raise RuntimeError(f"{entry['file']} changed after the audit; not publishing")
    versions = export_dir / VERSIONS
    make_private_dir(versions, export_modes(), exist_ok=True)
    os.replace(staging / PENDING_MANIFEST, staging / MANIFEST)
    _flush(staging)
    version_id = staging.name.removeprefix(f"{STAGING_PREFIX}{run_date}-") or secrets.token_hex(4)
    version = versions / f"{run_date}-{version_id}"
    os.rename(staging, version)
    _flush_dir(versions)
    final = export_dir / run_date
    link = export_dir / f"{LINK_PREFIX}{run_date}-{version_id}"
    os.symlink(Path(VERSIONS) / version.name, link)
    if final.is_dir() and not final.is_symlink():
        _swap_real_folder(link, final, export_dir, run_date, version_id)
    else:
        os.replace(link, final)
    _flush_dir(export_dir)
    clean_leftovers(export_dir)
    log.info("published %d files to %s (%s)", len(manifest["files"]), final, version.name)
    return final


def _swap_real_folder(link: Path, final: Path, export_dir: Path, run_date: str, tag: str) -> None:
    """Replace a real folder by the link: an atomic exchange where the system has one.

    After the exchange the link's name holds the old folder, which the clean-up removes.
    Without ``RENAME_EXCHANGE`` the old folder is renamed aside first, and a reader may
    find no folder for that instant; this happens once per date, when migrating.
    """
    try:
        _exchange(link, final)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
            raise
        log.warning("%s: no atomic exchange here (%s); renaming the old folder aside", final, exc)
        os.rename(final, export_dir / f"{OLD_PREFIX}{run_date}-{tag}")
        os.replace(link, final)


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a), None, str(b))


def _flush(folder: Path) -> None:
    """Write the folder's files and entries to disk, so a power cut cannot tear them."""
    for path in sorted(folder.iterdir()):
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    _flush_dir(folder)


def _flush_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
