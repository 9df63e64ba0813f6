"""Write every audience's files into a hidden folder with DuckDB ``COPY``.

Rows come out in a stable order (every column, nulls last) from a connection on one
thread, so the same audience tables always give the same bytes.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warehouse.audiences import Audience, load_audiences
from warehouse.export.layout import (
    FORMATS,
    STAGING_PREFIX,
    check_run_date,
    file_columns,
    file_sha256,
)
from warehouse.export.manifest import model_versions, write_pending
from warehouse.export.sql import connect_reproducible, literal, quote

log = logging.getLogger(__name__)

COPY_OPTIONS = {"parquet": "format parquet, compression zstd", "csv": "format csv, header true"}


def export_query(audience: Audience) -> str:
    """The treated members of the audience, with the file's headers, in a stable order."""
    headers = file_columns(audience)
    select = ", ".join(
        f"{quote(c)} as {quote(h)}" if c != h else quote(c)
        for c, h in zip(audience.columns, headers, strict=True)
    )
    order = ", ".join(f"{quote(h)} nulls last" for h in headers)
    return (
        f"select {select} from audiences.{quote(audience.model)} "
        f"where not is_control order by {order}"
    )


def _clear_stale_staging(export_dir: Path, run_date: str) -> None:
    for stale in export_dir.glob(f"{STAGING_PREFIX}{run_date}-*"):
        if stale.is_dir():
            log.info("removing staged exports of an earlier attempt: %s", stale)
            shutil.rmtree(stale)


def stage_exports(
    duckdb_path: Path | str,
    export_dir: Path | str,
    run_date: str,
    *,
    generated_at: str | None = None,
    audiences: Sequence[Audience] | None = None,
) -> Path:
    """Write every audience's files and the pending manifest into a hidden folder.

    Args:
        duckdb_path: The warehouse file (opened read-only).
        export_dir: ``PZ_EXPORT_DIR``.
        run_date: The run date, ``YYYY-MM-DD``.
        generated_at: When the run that produced the files started (ISO 8601); it goes
            into the manifest only.
        audiences: The audiences to export (default: every declared one).

    Returns:
        The staged folder ``<export_dir>/.tmp-<run_date>-<random>``.
    """
    run_date = check_run_date(run_date)
    export_dir = Path(export_dir)
    export_dir.mkdir(parents=True, exist_ok=True)
    _clear_stale_staging(export_dir, run_date)
    audiences = list(audiences) if audiences is not None else load_audiences()
    staging = export_dir / f"{STAGING_PREFIX}{run_date}-{secrets.token_hex(4)}"
    staging.mkdir()
    files: list[dict[str, Any]] = []
    with connect_reproducible(duckdb_path) as con:
        for audience in audiences:
            query = export_query(audience)
            for fmt in FORMATS:
                path = staging / f"{audience.name}.{fmt}"
                con.execute(f"copy ({query}) to {literal(str(path))} ({COPY_OPTIONS[fmt]})")
                rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
                files.append(
                    {
                        "file": path.name,
                        "audience": audience.name,
                        "channel": audience.channel,
                        "format": fmt,
                        "rows": rows,
                        "sha256": file_sha256(path),
                        "columns": file_columns(audience),
                    }
                )
        versions = model_versions(con, run_date)
    write_pending(staging, run_date, generated_at, files, versions)
    log.info("staged %d files for %s in %s", len(files), run_date, staging)
    return staging
