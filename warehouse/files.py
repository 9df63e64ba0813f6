"""File identity: the one sha256-of-a-file helper of the project.

The loader names a delivered file's version by it and the export writes it into the
manifest, so both sides agree on what "the same file" means.
"""

from __future__ import annotations

import hashlib
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
