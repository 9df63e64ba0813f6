"""Move an audited staged folder into ``<export_dir>/<run_date>``, manifest last."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from pathlib import Path

from warehouse.export.layout import MANIFEST, PENDING_MANIFEST, check_run_date, file_sha256
from warehouse.export.manifest import read_pending

log = logging.getLogger(__name__)


def publish_exports(staging_dir: Path | str, export_dir: Path | str) -> Path:
    """Move audited files into ``<export_dir>/<run_date>``; write the manifest last.

    An existing folder for the date is renamed aside, the staged folder renamed into
    its place, then the old one deleted; if the second rename fails the old folder is
    put back. Files are re-hashed first, so what was audited is what is published.

    Args:
        staging_dir: The folder :func:`~warehouse.export.stage_exports` wrote and
            :func:`~warehouse.export.audit_exports` passed.
        export_dir: ``PZ_EXPORT_DIR``.

    Returns:
        The published folder.
    """
    staging = Path(staging_dir)
    export_dir = Path(export_dir)
    manifest = read_pending(staging)
    run_date = check_run_date(manifest["run_date"])
    for entry in manifest["files"]:
        if file_sha256(staging / entry["file"]) != entry["sha256"]:
            raise RuntimeError(f"{entry['file']} changed after the audit; not publishing")
    final = export_dir / run_date
    old: Path | None = None
    if final.exists():
        old = export_dir / f".old-{run_date}-{secrets.token_hex(4)}"
        os.rename(final, old)
    try:
        os.rename(staging, final)
    except OSError:
        if old is not None:
            os.rename(old, final)
        raise
    os.replace(final / PENDING_MANIFEST, final / MANIFEST)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    log.info("published %d files to %s", len(manifest["files"]), final)
    return final
