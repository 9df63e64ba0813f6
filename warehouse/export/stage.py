"""Write every audience's files into a hidden folder with DuckDB ``COPY``.

Rows come out in a stable order (every column, nulls last) from a connection on one
thread, so the same audience tables always give the same bytes. The folder and its
files are owner-only from the moment they exist (``PZ_EXPORT_FILE_MODE``), and CSV
cells that a spreadsheet would run as a formula are neutralised (:mod:`.safe_csv`).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from warehouse.audiences import Audience, load_audiences
from warehouse.export.folders import clean_leftovers, export_modes, make_private_dir
from warehouse.export.layout import (
    FORMATS,
    MERGES_COLUMNS,
    MERGES_STEM,
    STAGING_PREFIX,
    check_run_date,
    export_files,
)
from warehouse.export.manifest import (
    deliveries,
    drifted,
    model_versions,
    skipped_models,
    write_pending,
)
from warehouse.export.profiles import below_minimum
from warehouse.export.query import export_query
from warehouse.export.report import write_report
from warehouse.export.safe_csv import formula_cells, text_columns
from warehouse.export.sql import connect_reproducible, literal, table_exists
from warehouse.files import sha256_file

log = logging.getLogger(__name__)

COPY_OPTIONS = {"parquet": "format parquet, compression zstd", "csv": "format csv, header true"}


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
    modes = export_modes()
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    make_private_dir(export_dir, modes, exist_ok=True)
    clean_leftovers(export_dir)
    audiences = list(audiences) if audiences is not None else load_audiences()
    staging = export_dir / f"{STAGING_PREFIX}{run_date}-{secrets.token_hex(4)}"
    make_private_dir(staging, modes)
    files: list[dict[str, Any]] = []
    with connect_reproducible(duckdb_path) as con:
        skipped = skipped_models(con, run_date)
        for audience in audiences:
            missing = [m for m in audience.needs_models if m in skipped]
            empty_because = "; ".join(f"{m} was skipped: {skipped[m]}" for m in missing)
            for file in export_files(audience):
                path = staging / file.name
                query = export_query(file)
                written = query
                if file.fmt == "csv":
                    text = text_columns(con, query)
                    written = export_query(file, neutralise=text)
                    formulas = sum(formula_cells(con, f"({query})", column) for column in text)
                    if formulas:
                        log.warning(
                            "%s: %d text cells would run as spreadsheet formulas; written with "
                            "a leading single quote (the Parquet file keeps them as they are)",
                            file.name,
                            formulas,
                        )
                con.execute(f"copy ({written}) to {literal(str(path))} ({COPY_OPTIONS[file.fmt]})")
                os.chmod(path, modes.file)
                rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
                if missing and rows:
                    raise ValueError(
                        f"{audience.name}: {rows} rows although it needs {', '.join(missing)}, "
                        "which the night skipped"
                    )
                extra: dict[str, Any] = {"empty_because": empty_because} if missing else {}
                warning = below_minimum(file.profile, rows) if file.profile else None
                if warning:
                    extra["warning"] = warning
                    log.warning("%s: %s", file.name, warning)
                files.append(
                    {
                        "file": path.name,
                        "audience": audience.name,
                        "channel": audience.channel,
                        "profile": file.profile_name,
                        "format": file.fmt,
                        "rows": rows,
                        "sha256": sha256_file(path),
                        "columns": file.columns,
                        **extra,
                    }
                )
            if missing:
                log.warning("%s: published empty, %s", audience.name, empty_because)
        merges = _stage_merges(con, staging, modes.file)
        versions = model_versions(con, run_date)
        seen = deliveries(con)
        drift = drifted(con, run_date)
        report = write_report(con, staging, run_date, audiences, export_dir, modes.file)
    write_pending(
        staging,
        run_date,
        generated_at,
        files,
        versions,
        mode=modes.file,
        seen=seen,
        skipped=skipped,
        merges=merges,
        report=report,
        drift=drift,
    )
    log.info("staged %d files for %s in %s", len(files), run_date, staging)
    return staging


def _stage_merges(con: duckdb.DuckDBPyConnection, staging: Path, mode: int) -> list[dict[str, Any]]:
    """Write the merge ledger (``marts.person_id_merges``) beside the audience files.

    Downstream tools that keyed anything on a person id follow it: an id listed as
    ``old_person_id`` is now ``new_person_id``. Written every night, empty when no
    two known people were ever merged, so a tool can always read it.
    """
    columns = ", ".join(MERGES_COLUMNS)
    if table_exists(con, "marts", "person_id_merges"):
        query = f"select {columns} from marts.person_id_merges order by merged_on, {columns}"
    else:
        query = (
            "select cast(null as varchar) as old_person_id, cast(null as varchar) as "
            "new_person_id, cast(null as date) as merged_on where false"
        )
    entries = []
    for fmt in FORMATS:
        path = staging / f"{MERGES_STEM}.{fmt}"
        con.execute(f"copy ({query}) to {literal(str(path))} ({COPY_OPTIONS[fmt]})")
        os.chmod(path, mode)
        rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
        entries.append(
            {
                "file": path.name,
                "format": fmt,
                "rows": rows,
                "sha256": sha256_file(path),
                "columns": list(MERGES_COLUMNS),
            }
        )
    return entries
