"""The manifest of an export folder: what was written, from which model versions.

The model versions are discovered from the warehouse catalog (every table of schema
``ml`` that has ``run_date`` and ``model_version`` columns), so a new model's scores
are listed without naming the model here; a table with a ``model`` column is a log
kept per model (``ml.feature_drift``, ``ml.model_metrics``), not scores, and is not
listed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb

from warehouse.export.layout import PENDING_MANIFEST
from warehouse.export.sql import quote, table_exists


def model_versions(con: duckdb.DuckDBPyConnection, run_date: str) -> dict[str, list[str]]:
    """Model versions recorded for the run date in every versioned ml table."""
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'ml' and column_name in ('run_date', 'model_version', 'model') "
            "group by table_name having count(distinct column_name) = 2 "
            "and count(*) filter (where column_name = 'model') = 0 order by table_name"
        ).fetchall()
    ]
    versions: dict[str, list[str]] = {}
    for table in tables:
        rows = con.execute(
            f"select distinct model_version from ml.{quote(table)} "
            "where run_date = ? and model_version is not null order by 1",
            [run_date],
        ).fetchall()
        versions[table] = [r[0] for r in rows]
    return versions


def skipped_models(con: duckdb.DuckDBPyConnection, run_date: str) -> dict[str, str]:
    """The models the night could not train (``ml.model_skips``): model -> reason."""
    if not table_exists(con, "ml", "model_skips"):
        return {}
    rows = con.execute(
        "select model, reason from ml.model_skips where run_date = ? order by model",
        [run_date],
    ).fetchall()
    return {model: reason for model, reason in rows}


def deliveries(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The deliveries the night saw: per source and entity, what ``raw._loads`` holds.

    Point in time is by the records' own timestamps, so a delivery that arrives later
    can change what a re-run of the same date publishes; this is the record of which
    deliveries this night's files were built from: the loaded files (count, first and
    last extract date, rows) and a sha256 over their sorted (file, sha256) pairs.
    """
    if not table_exists(con, "raw", "_loads"):
        return []
    rows = con.execute(
        """
        select
            source,
            entity,
            count(*) as files,
            cast(min(extract_date) as varchar) as first_extract_date,
            cast(max(extract_date) as varchar) as last_extract_date,
            sum(rows_loaded) as rows_loaded,
            sha256(string_agg(file || ':' || file_sha256, '\n' order by file, file_sha256))
                as files_sha256
        from raw._loads
        where status = 'loaded'
        group by source, entity
        order by source, entity
        """
    ).fetchall()
    keys = (
        "source", "entity", "files", "first_extract_date", "last_extract_date",
        "rows_loaded", "files_sha256",
    )  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def drifted(con: duckdb.DuckDBPyConnection, run_date: str) -> list[dict[str, Any]]:
    """The model features and scores of the night at or above their drift threshold
    (``ml.feature_drift``), and the models whose scoring version had no reference."""
    if not table_exists(con, "ml", "feature_drift"):
        return []
    rows = con.execute(
        "select model, model_version, kind, name, psi, threshold, status from ml.feature_drift "
        "where run_date = ? and status <> 'ok' order by model, kind, name",
        [run_date],
    ).fetchall()
    keys = ("model", "model_version", "kind", "name", "psi", "threshold", "status")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def write_pending(
    staging: Path,
    run_date: str,
    generated_at: str | None,
    files: list[dict[str, Any]],
    versions: dict[str, list[str]],
    *,
    mode: int,
    seen: list[dict[str, Any]] | None = None,
    skipped: dict[str, str] | None = None,
    merges: list[dict[str, Any]] | None = None,
    report: dict[str, Any] | None = None,
    drift: list[dict[str, Any]] | None = None,
) -> None:
    """Write the manifest into the staged folder under its pending (hidden) name.

    ``skipped`` (model -> reason) goes in as ``skipped_models``; the files of an
    audience that needs a skipped model carry ``empty_because``. ``merges`` lists the
    merge-ledger files (``person_id_merges``), ``report`` the run report
    (``report.html``) and ``drift`` what :func:`drifted` found.
    """
    manifest = {
        "run_date": run_date,
        "generated_at": generated_at,
        "files": files,
        "model_versions": versions,
        "skipped_models": skipped or {},
        "deliveries": seen or [],
        "person_id_merges": merges or [],
        "drift": drift or [],
        **({"report": report} if report else {}),
    }
    path = staging / PENDING_MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.chmod(path, mode)


def read_pending(staging: Path) -> dict[str, Any]:
    """The pending manifest of a staged folder."""
    return json.loads((staging / PENDING_MANIFEST).read_text())
