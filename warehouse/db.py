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


def table_exists(table: str, path: Path | str | None = None) -> bool:
    """Whether ``schema.name`` exists in the warehouse."""
    schema, _, name = table.partition(".")
    with connect(path, read_only=True) as con:
        (count,) = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()
    return bool(count)


def replace_partition(
    table: str,
    key_column: str,
    key_value: Any,
    data: pa.Table,
    path: Path | str | None = None,
) -> int:
    """Replace the rows of one key (e.g. one run_date) of an existing table, atomically.

    The table and its column types are owned elsewhere (the ml tables are dbt models
    with enforced contracts), so this never creates or alters one. The incoming columns
    are matched by name and cast to the table's types, read from the DuckDB catalog:
    callers name the columns and the table decides their types. Then the rows where
    ``key_column = key_value`` are deleted and ``data`` inserted in one transaction, so
    a re-run of the same key leaves exactly one copy.

    Args:
        table: ``schema.name``, lower case.
        key_column: The partition column; every row of ``data`` must carry ``key_value``.
        key_value: The partition to replace.
        data: The new rows, with exactly the table's columns (in any order).
        path: The DuckDB file; the configured warehouse when omitted.

    Returns:
        The number of rows inserted.

    Raises:
        ValueError: The table does not exist, ``data`` misses one of its columns or
            carries one it does not have, a value does not cast to the column's type,
            or a row is outside the key.
    """
    if not _IDENTIFIER.match(key_column) or key_column not in data.column_names:
        raise ValueError(f"key column {key_column!r} is not a column of the data")
    return replace_rows(table, {key_column: key_value}, data, path)


def replace_rows(
    table: str,
    keys: dict[str, Any],
    data: pa.Table,
    path: Path | str | None = None,
) -> int:
    """Replace the rows matching every ``column = value`` of ``keys``, atomically.

    :func:`replace_partition` with a key of several columns (e.g. run_date and model,
    when several writers share one run date): the same checks, one transaction. An
    empty ``data`` (with the table's columns) deletes the matching rows.

    Returns:
        The number of rows inserted.

    Raises:
        ValueError: As :func:`replace_partition`, for any key column.
    """
    if not _QUALIFIED_NAME.match(table):
        raise ValueError(f"table must be 'schema.name' in lower case, got {table!r}")
    if not keys:
        raise ValueError("replace_rows needs at least one key column")
    for column in keys:
        if not _IDENTIFIER.match(column) or column not in data.column_names:
            raise ValueError(f"key column {column!r} is not a column of the data")
    match = " and ".join(f'"{column}" = ?' for column in keys)
    outside = " or ".join(f'"{column}" is distinct from ?' for column in keys)
    values = list(keys.values())
    schema, name = table.split(".", 1)
    with connect(path) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
        )
        if not types:
            raise ValueError(
                f"table {table} does not exist: it is created by dbt (run `dbt build` first)"
            )
        missing = [c for c in types if c not in data.column_names]
        extra = [c for c in data.column_names if c not in types]
        if missing or extra:
            raise ValueError(
                f"the data does not match the columns of {table}: "
                f"missing {missing or 'none'}, not in the table {extra or 'none'}"
            )
        con.register("_incoming", data)
        try:
            wrong = con.execute(
                f"select count(*) from _incoming where {outside}", values
            ).fetchall()[0][0]
            if wrong:
                shown = ", ".join(f"{c} = {v}" for c, v in keys.items())
                raise ValueError(f"{wrong} rows of the data are not in {shown}")
            casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in types.items())
            con.execute("begin transaction")
            try:
                con.execute(f"delete from {table} where {match}", values)
                con.execute(f"insert into {table} by name select {casts} from _incoming")
                con.execute("commit")
            except duckdb.ConversionException as error:
                con.execute("rollback")
                raise ValueError(
                    f"the data does not cast to the types of {table}: {error}"
                ) from error
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
