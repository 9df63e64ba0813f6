"""The manifest of an export folder: what was written, from which model versions.

The model versions are discovered from the warehouse catalog (every table of schema
``ml`` that has ``run_date`` and ``model_version`` columns), so a new model's scores
are listed without naming the model here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb

from warehouse.export.layout import PENDING_MANIFEST
from warehouse.export.sql import quote


def model_versions(con: duckdb.DuckDBPyConnection, run_date: str) -> dict[str, list[str]]:
    """Model versions recorded for the run date in every versioned ml table."""
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'ml' and column_name in ('run_date', 'model_version') "
            "group by table_name having count(distinct column_name) = 2 order by table_name"
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


def write_pending(
    staging: Path,
    run_date: str,
    generated_at: str | None,
    files: list[dict[str, Any]],
    versions: dict[str, list[str]],
    *,
    mode: int,
) -> None:
    """Write the manifest into the staged folder under its pending (hidden) name."""
    manifest = {
        "run_date": run_date,
        "generated_at": generated_at,
        "files": files,
        "model_versions": versions,
    }
    path = staging / PENDING_MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.chmod(path, mode)


def read_pending(staging: Path) -> dict[str, Any]:
    """The pending manifest of a staged folder."""
    return json.loads((staging / PENDING_MANIFEST).read_text())
