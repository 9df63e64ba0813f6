"""The raw tables and the load ledger: ``raw._loads`` and ``raw._rejects``.

``raw._loads`` has one row per file version and what became of it; a file already
loaded with the same sha256 is skipped, a changed file replaces what its earlier
version loaded, and a failed file keeps one failure row until it is fixed.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from warehouse.contract import ENTITIES, METADATA_COLUMNS, Entity
from warehouse.load.discover import ExtractFile
from warehouse.load.results import FileResult
from warehouse.load.sql import quote

LOADS_COLUMNS = (
    ("file", "VARCHAR"),
    ("source", "VARCHAR"),
    ("entity", "VARCHAR"),
    ("extract_date", "DATE"),
    ("file_sha256", "VARCHAR"),
    ("file_bytes", "BIGINT"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_rejected", "BIGINT"),
    ("status", "VARCHAR"),
    ("error", "VARCHAR"),
    ("loaded_at", "TIMESTAMPTZ"),
    ("warnings", "VARCHAR"),
    ("duplicate_keys", "BIGINT"),
    ("future_timestamps", "BIGINT"),
    ("columns", "VARCHAR[]"),
)
REJECTS_COLUMNS = (
    ("file", "VARCHAR"),
    ("file_sha256", "VARCHAR"),
    ("source", "VARCHAR"),
    ("entity", "VARCHAR"),
    ("line", "BIGINT"),
    ("column_name", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("raw_text", "VARCHAR"),
)


def _ddl(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    cols = ", ".join(f"{quote(name)} {type_}" for name, type_ in columns)
    return f"create table if not exists raw.{table} ({cols})"


def raw_columns(ent: Entity) -> tuple[tuple[str, str], ...]:
    """Contract columns then metadata columns of ``raw.<source>__<entity>``."""
    return tuple((c.name, c.type) for c in ent.columns) + METADATA_COLUMNS


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` schema and every contract table, empty, if missing.

    A source with no files still gets its table with the contract's columns, so every
    model downstream builds.
    """
    con.execute("create schema if not exists raw")
    for ent in ENTITIES:
        con.execute(_ddl(ent.table, raw_columns(ent)))
    con.execute(_ddl("_loads", LOADS_COLUMNS))
    con.execute(_ddl("_rejects", REJECTS_COLUMNS))
    # A warehouse written before a ledger column existed gets it, empty for old rows.
    for name, type_ in LOADS_COLUMNS:
        con.execute(f"alter table raw._loads add column if not exists {quote(name)} {type_}")


def existing_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Lower-case column names of ``raw.<table>``."""
    rows = con.execute(
        "select lower(column_name) from information_schema.columns "
        "where table_schema = 'raw' and table_name = ?",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


class Ledger:
    """``raw._loads`` for one load: what was loaded before, and this load's rows.

    Args:
        con: The warehouse connection, with the raw tables in place.
        loaded_at: The load's timestamp, written on every row it records.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, loaded_at: dt.datetime) -> None:
        self._con = con
        self.loaded_at = loaded_at
        self._seen = {
            (file, sha): status
            for file, sha, status in con.execute(
                "select file, file_sha256, status from raw._loads"
            ).fetchall()
        }
        self._seen_files = {file for file, _ in self._seen}

    def is_loaded(self, f: ExtractFile, sha: str) -> bool:
        """This version of the file loaded before (a failed one is tried again)."""
        return self._seen.get((f.relpath, sha)) == "loaded"

    def fail(self, f: ExtractFile, sha: str | None, size: int | None, message: str) -> FileResult:
        """Record a failed file in its own transaction, replacing its earlier failure.

        A refused file (never opened) has no sha256 and no size.
        """
        result = FileResult(f.relpath, "failed", error=message)
        self._con.execute("begin transaction")
        if f.relpath in self._seen_files:
            self._con.execute(
                "delete from raw._loads where file = ? and file_sha256 is not distinct from ?",
                [f.relpath, sha],
            )
        self._insert([(f, sha, size, result, ())])
        self._con.execute("commit")
        return result

    def record(
        self, entries: list[tuple[ExtractFile, str, int, FileResult, tuple[str, ...]]]
    ) -> None:
        """Record the results of a batch's files inside the caller's transaction.

        Args:
            entries: Per file: the file, its sha256, its size, its result and its
                delivered columns.

        A changed file that loaded replaces its earlier versions' rows, rejects and
        ledger rows; one that failed replaces only its own earlier failure. The batch's
        ledger rows are written in one statement.
        """
        con = self._con
        for f, sha, _, result, _ in entries:
            if f.relpath not in self._seen_files:
                continue
            if result.status == "loaded":
                con.execute(
                    f"delete from raw.{f.entity.table} where _file = ? and _file_sha256 <> ?",
                    [f.relpath, sha],
                )
                con.execute(
                    "delete from raw._rejects where file = ? and file_sha256 <> ?",
                    [f.relpath, sha],
                )
                con.execute("delete from raw._loads where file = ?", [f.relpath])
            else:
                con.execute(
                    "delete from raw._loads where file = ? and file_sha256 = ?", [f.relpath, sha]
                )
        self._insert(entries)

    def _insert(
        self, entries: list[tuple[ExtractFile, str | None, int | None, FileResult, tuple[str, ...]]]
    ) -> None:
        names = ", ".join(quote(name) for name, _ in LOADS_COLUMNS)
        row = "(" + ", ".join("?" for _ in LOADS_COLUMNS) + ")"
        params: list[object] = []
        for f, sha, size, result, columns in entries:
            params += [
                f.relpath,
                f.entity.source,
                f.entity.name,
                f.extract_date,
                sha,
                size,
                result.rows_read,
                result.rows_loaded,
                result.rows_rejected,
                result.status,
                result.error,
                self.loaded_at,
                "; ".join(result.warnings) or None,
                result.duplicate_keys,
                result.future_timestamps,
                list(columns) or None,
            ]
        self._con.execute(
            f"insert into raw._loads ({names}) values {', '.join([row] * len(entries))}", params
        )
