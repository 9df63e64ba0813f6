"""The first step on the data: load the new extracts into ``raw``."""

from __future__ import annotations

import logging

from pipeline.errors import DataError
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)


def load_extracts(settings: Settings | None = None) -> dict[str, int]:
    """Load every new or changed extract into ``raw``; fail if any file failed.

    Returns:
        Counts of files loaded, skipped (unchanged) and ignored, and rows loaded.

    Raises:
        DataError: A file could not be loaded (the others are loaded and recorded).
    """
    from warehouse.load import load_landing

    settings = settings or load_settings()
    summary = load_landing(settings.landing_dir, settings.duckdb_path)
    counts = {
        "files_loaded": len(summary.loaded),
        "files_unchanged": len(summary.skipped),
        "files_ignored": len(summary.ignored),
        "rows_loaded": sum(r.rows_loaded for r in summary.loaded),
        "rows_rejected": sum(r.rows_rejected for r in summary.loaded),
    }
    log.info("load: %s", counts)
    if summary.failed:
        lines = "\n".join(f"  {r.file}: {r.error}" for r in summary.failed)
        raise DataError(f"{len(summary.failed)} extract files failed to load:\n{lines}")
    return counts
