"""The small warehouse interface the ml package reads and writes through.

Everything crosses as Arrow tables, so the callers never hold a DuckDB connection and
the same functions could sit over another engine. DuckDB allows one read-write
process per file: every function opens its own connection and closes it before
returning, so no caller keeps the file locked across another task's turn.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.settings import load_settings

_QUALIFIED_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _resolve(path: Path | str | None) -> Path:
    return Path(path) if path is not None else load_settings().duckdb_path


def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a connection to the warehouse file (``PZ_DUCKDB_PATH`` by default).

    Args:
        path: The DuckDB file; the configured warehouse when omitted.
        read_only: Open without taking the writer's lock.

    Returns:
        A new connection, in UTC, within ``PZ_DUCKDB_MEMORY_LIMIT``; the caller closes
        it (use it as a context manager).
    """
    db = _resolve(path)
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": load_settings().duckdb_memory_limit}
    con = duckdb.connect(str(db), read_only=read_only, config=config)
    con.execute("set timezone = 'UTC'")
    return con


def read_arrow(
    sql: str, params: list[Any] | dict[str, Any] | None = None, path: Path | str | None = None
) -> pa.Table:
    """Run one query read-only and return its result as an Arrow table.

    Args:
        sql: The query; use ``?`` or ``$name`` placeholders for values.
        params: The placeholder values.
        path: The DuckDB file; the configured warehouse when omitted.
    """
    with connect(path, read_only=True) as con:
        return con.sql(sql, params=params).to_arrow_table()


def replace_partition(
    table: str,
    key_column: str,
    key_value: Any,
    data: pa.Table,
    path: Path | str | None = None,
) -> int:
    """Replace the rows of one key (e.g. one run_date) of a table, atomically.

    Deletes the rows where ``key_column = key_value`` and inserts ``data`` in one
    transaction, creating the schema and the table (from ``data``'s schema) when they
    do not exist yet. Columns are matched by name, so the table may order them
    differently. A re-run of the same key therefore leaves exactly one copy.

    Args:
        table: ``schema.name``, lower case.
        key_column: The partition column; every row of ``data`` must carry ``key_value``.
        key_value: The partition to replace.
        data: The new rows.
        path: The DuckDB file; the configured warehouse when omitted.

    Returns:
        The number of rows inserted.
    """
    if not _QUALIFIED_NAME.match(table):
        raise ValueError(f"table must be 'schema.name' in lower case, got {table!r}")
    if not _IDENTIFIER.match(key_column) or key_column not in data.column_names:
        raise ValueError(f"key column {key_column!r} is not a column of the data")
    schema = table.split(".", 1)[0]
    with connect(path) as con:
        con.register("_incoming", data)
        try:
            wrong = con.execute(
                f"select count(*) from _incoming where {key_column} is distinct from ?",
                [key_value],
            ).fetchall()[0][0]
            if wrong:
                raise ValueError(f"{wrong} rows of the data are not in {key_column} = {key_value}")
            con.execute("begin transaction")
            try:
                con.execute(f"create schema if not exists {schema}")
                con.execute(f"create table if not exists {table} as from _incoming limit 0")
                con.execute(f"delete from {table} where {key_column} = ?", [key_value])
                con.execute(f"insert into {table} by name select * from _incoming")
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            con.unregister("_incoming")
    return data.num_rows


def read_pipeline_vars(path: Path | str | None = None) -> dict[str, Any]:
    """The dbt vars the marts were built with, from ``marts.pipeline_vars``.

    dbt writes that one-row model from its own ``var(...)`` values, so Python reads
    the same figures dbt applied instead of parsing dbt_project.yml again.

    Args:
        path: The DuckDB file; the configured warehouse when omitted.

    Returns:
        Column name -> value: ``run_date`` (a date) and every var as a typed value.

    Raises:
        LookupError: The table does not hold exactly one row (dbt has not built it).
    """
    table = read_arrow("select * from marts.pipeline_vars", path=path).to_pylist()
    if len(table) != 1:
        raise LookupError(f"marts.pipeline_vars has {len(table)} rows, expected one")
    return table[0]
