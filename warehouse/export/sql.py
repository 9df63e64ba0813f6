"""The export's read-only connection to the warehouse and its SQL quoting.

The export writes files whose bytes must depend only on the data, so its connection
runs on one thread and keeps insertion order; everything else (memory limit, UTC)
comes from :func:`warehouse.db.connect`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.db import connect


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal, single-quoted."""
    return "'" + value.replace("'", "''") + "'"


def connect_reproducible(duckdb_path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only so the same rows always give the same bytes."""
    con = connect(duckdb_path, read_only=True)
    con.execute("set threads = 1; set preserve_insertion_order = true")
    return con


def read_relation(path: Path) -> str:
    """SQL relation over an export file (CSV cells read as text)."""
    if path.suffix == ".parquet":
        return f"read_parquet({literal(str(path))})"
    return f"read_csv({literal(str(path))}, header = true, all_varchar = true)"


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` is in the warehouse catalog."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )
