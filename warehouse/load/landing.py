"""Load the landing folder: discover, identify, inspect, batch, load, account."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import duckdb

from warehouse.db import connect
from warehouse.files import sha256_file
from warehouse.load.batch import (
    DEFAULT_MAX_REJECT_RATE,
    DEFAULT_MIN_REJECTS_TO_FAIL,
    drop_scratch,
    load_batch,
)
from warehouse.load.batching import (
    DEFAULT_BATCH_BYTES,
    Pending,
    delivered_columns,
    plan_batches,
)
from warehouse.load.columns import (
    csv_header,
    extra_column_name,
    match_columns,
    parquet_columns,
)
from warehouse.load.discover import ExtractFile, discover
from warehouse.load.drift import DeliveryHistory
from warehouse.load.errors import FileError
from warehouse.load.ledger import Ledger, ensure_raw_tables
from warehouse.load.results import FileResult, LoadSummary
from warehouse.load.retry import run_batches
from warehouse.privacy.erase import ensure_privacy_tables, purge_redelivered
from warehouse.privacy.key import ensure_key, install_key
from warehouse.settings import load_settings

log = logging.getLogger("warehouse.load")


def load_landing(
    landing_dir: Path | str,
    duckdb_path: Path | str,
    *,
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE,
    min_rejects_to_fail: int = DEFAULT_MIN_REJECTS_TO_FAIL,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    earliest_date: dt.date | None = None,
) -> LoadSummary:
    """Load every new or changed extract file under ``landing_dir`` into ``raw``.

    Args:
        landing_dir: The landing folder (``PZ_LANDING_DIR``).
        duckdb_path: The warehouse file (``PZ_DUCKDB_PATH``); created if missing.
        max_reject_rate: A file with a larger share of rejected rows fails as a whole…
        min_rejects_to_fail: …provided it has at least this many rejected rows.
        batch_bytes: Files of one entity are read together, up to about this much
            uncompressed text at a time.
        earliest_date: Timestamps before this day are rejected; the configured
            ``PZ_LOAD_EARLIEST_DATE`` (1970-01-01) when omitted.

    Returns:
        What happened to each file, in discovery order. Failed files are listed in
        ``summary.failed``; the caller decides whether that stops the run (the CLI
        exits with status 1).
    """
    landing_dir = Path(landing_dir)
    settings = load_settings()
    earliest = earliest_date or settings.load_earliest_date
    summary = LoadSummary()
    files, summary.ignored = discover(landing_dir) if landing_dir.exists() else ([], [])
    for rel in summary.ignored:
        log.warning("ignoring %s: not a file of the extract contract", rel)
    loaded_at = dt.datetime.now(dt.UTC)
    results: dict[str, FileResult] = {}
    with connect(duckdb_path) as con:
        con.execute("set enable_progress_bar = false")
        ensure_raw_tables(con)
        install_key(con, ensure_key(settings.person_id_key_file))
        ensure_privacy_tables(con)
        ledger = Ledger(con, loaded_at)
        history = DeliveryHistory(con)

        def fail(f: ExtractFile, sha: str | None, size: int | None, message: str) -> None:
            results[f.relpath] = ledger.fail(f, sha, size, message)
            log.error("failed %s: %s", f.relpath, message)

        pending: list[Pending] = []
        for f in files:
            if f.refused:
                fail(f, None, None, f.problem or "refused")
                continue
            sha = sha256_file(f.path)
            # A failed file is tried again (and reported again) until it is fixed.
            if ledger.is_loaded(f, sha):
                results[f.relpath] = FileResult(f.relpath, "skipped")
                continue
            size = f.path.stat().st_size
            try:
                names = _inspect(con, f)
                columns = delivered_columns(f.entity, names)
                warnings = _renamed_extras(f, names)
                drift = history.check(f, columns)
                if drift and settings.load_schema_drift == "fail":
                    raise FileError(f"{drift} (PZ_LOAD_SCHEMA_DRIFT=fail)")
            except FileError as exc:
                fail(f, sha, size, str(exc))
                continue
            history.add(f, columns)
            warnings += [drift] if drift else []
            pending.append(Pending(f, sha, size, tuple(names), tuple(warnings)))

        def load(batch: list[Pending]) -> list[FileResult]:
            batch_results = load_batch(
                con, batch, loaded_at, max_reject_rate, min_rejects_to_fail, earliest
            )
            ledger.record(
                [
                    (p.file, p.sha, p.size, result, p.columns)
                    for p, result in zip(batch, batch_results, strict=True)
                ]
            )
            return batch_results

        def done(batch: list[Pending], batch_results: list[FileResult], elapsed: float) -> None:
            for result in batch_results:
                results[result.file] = result
                for warning in result.warnings:
                    log.warning("%s: %s", result.file, warning)
                if result.status == "loaded":
                    log.info(
                        "loaded %s: %d rows, %d rejected",
                        result.file,
                        result.rows_loaded,
                        result.rows_rejected,
                    )
                else:
                    log.error("failed %s: %s", result.file, result.error)
            log.info(
                "%d %s file(s) in %.2fs",
                len(batch),
                batch[0].file.entity.table.replace("__", "/"),
                elapsed,
            )

        run_batches(
            con,
            plan_batches(pending, batch_bytes),
            load,
            lambda p, message: fail(p.file, p.sha, p.size, message),
            done,
        )
        drop_scratch(con)
        summary.erased_rows = purge_redelivered(con, loaded_at)
    summary.results = [results[f.relpath] for f in files]
    return summary


def _renamed_extras(f: ExtractFile, names: list[str]) -> list[str]:
    """Warnings for extra columns kept under another name (they clash with the loader's)."""
    _, extras = match_columns(f.entity, names) if names else ({}, [])
    taken = {n.lower() for n in extras}
    return [
        f"extra column {name} is kept as {extra_column_name(name, taken)} "
        "(the loader's own column has that name)"
        for name in extras
        if extra_column_name(name, taken) != name.lower()
    ]


def _inspect(con: duckdb.DuckDBPyConnection, f: ExtractFile) -> list[str]:
    """Check what can be checked before reading a file's rows; return its column names.

    Raises:
        FileError: The file is not in an extract-date folder, cannot be read, or lacks
            a required column.
    """
    if f.problem is not None:
        raise FileError(f.problem)
    names: list[str] = []
    if f.reader == "csv":
        names = csv_header(f.path)
    elif f.reader == "parquet":
        names = parquet_columns(con, f.path)
    if names:
        match_columns(f.entity, names)
    return names
