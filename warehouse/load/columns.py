"""Delivered column names: read from a file's header and matched to the contract."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import duckdb

from warehouse.contract import METADATA_COLUMNS, Entity
from warehouse.load.errors import FileError
from warehouse.load.sql import literal

_METADATA = {name for name, _ in METADATA_COLUMNS}


def csv_header(path: Path) -> list[str]:
    """Column names from the first line of a (possibly gzipped) CSV file."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except (OSError, EOFError) as exc:
        raise FileError(f"unreadable: {exc}") from exc
    # A file with CR-only line ends has no LF: its header ends at the first CR.
    text = first.decode("utf-8-sig", errors="replace").split("\r")[0].strip("\n")
    if not text.strip():
        raise FileError("empty file with no header")
    try:
        return [name.strip() for name in next(csv.reader(io.StringIO(text)))]
    except csv.Error as exc:
        raise FileError(f"unreadable header: {exc}") from exc


def extra_column_name(name: str, taken: set[str]) -> str:
    """The raw column an extra delivered column is kept in: its lower-case name, or
    ``delivered<name>`` when that is one of the loader's own metadata columns."""
    column = name.lower()
    if column in _METADATA:
        column = "delivered" + column
        while column in taken:
            column = "_" + column
    return column


def parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Column names of a Parquet file, from its footer."""
    try:
        query = f"select * from read_parquet({literal(str(path))}) limit 0"
        return [d[0] for d in con.execute(query).description]
    except duckdb.Error as exc:
        raise FileError(f"unreadable Parquet: {str(exc).splitlines()[0]}") from exc


def match_columns(ent: Entity, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map contract column -> delivered name, case-insensitively.

    Returns:
        The mapping, and the delivered names that are not contract columns (kept in
        raw as text, see :func:`extra_column_name`), first spelling of each.

    Raises:
        FileError: A required contract column is not delivered.
    """
    contract = {c.name.lower(): c.name for c in ent.columns}
    mapping: dict[str, str] = {}
    extras: list[str] = []
    for name in names:
        key = name.lower()
        if key in contract and contract[key] not in mapping:
            mapping[contract[key]] = name
        elif key not in contract and key and key not in [e.lower() for e in extras]:
            extras.append(name)
    missing = [c.name for c in ent.columns if c.required and c.name not in mapping]
    if missing:
        raise FileError(
            f"missing required column(s) {', '.join(missing)} (found: {', '.join(names)})"
        )
    return mapping, extras
