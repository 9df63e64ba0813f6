"""File identity: the one sha256-of-a-file helper of the project.

The loader names a delivered file's version by it and the export writes it into the
manifest, so both sides agree on what "the same file" means.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file's bytes, streamed by :func:`hashlib.file_digest`.

    Args:
        path: The file to hash.

    Returns:
        The 64-character lower-case hex digest.
    """
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def private_umask() -> int:
    """Make what this process creates from now on owner-only; returns the old umask.

    The warehouse file, its write-ahead log, the MLflow store, dbt's and Airflow's logs
    all hold personal data and are created by libraries that take the process umask.
    The mask follows ``PZ_EXPORT_FILE_MODE`` (owner-only ``600`` by default, so files
    ``600`` and folders ``700``); a deployment that shares the exports with a group
    shares the rest with it too.
    """
    from warehouse.settings import load_settings

    mode = load_settings().export_file_mode
    folder_mode = mode | (mode & 0o444) >> 2
    return os.umask(0o777 & ~folder_mode)
