"""Schema drift: a file that lacks an optional column its entity's earlier delivery had.

A renamed column (``email`` delivered as ``e_mail``) does not break the contract, since
the column is optional, but it silently nulls the field for every record of that
delivery. The loader compares each file's columns with the latest earlier delivery of
the same entity (in the ledger or in the same load) and says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from warehouse.load.discover import ExtractFile


@dataclass(frozen=True)
class Delivery:
    """The columns one earlier file of an entity delivered."""

    extract_date: dt.date
    file: str
    columns: tuple[str, ...]


class DeliveryHistory:
    """The delivered columns of every loaded file, per entity, to compare new files with.

    Args:
        con: The warehouse connection, with ``raw._loads`` in place.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._by_entity: dict[str, list[Delivery]] = {}
        rows = con.execute(
            "select source || '__' || entity, extract_date, file, columns from raw._loads "
            "where status = 'loaded' and columns is not null and extract_date is not null"
        ).fetchall()
        for table, extract_date, file, columns in rows:
            self._by_entity.setdefault(table, []).append(
                Delivery(extract_date, file, tuple(columns))
            )

    def add(self, f: ExtractFile, columns: tuple[str, ...]) -> None:
        """Count a file of this load as a delivery for the files after it."""
        if f.extract_date is not None and columns:
            self._by_entity.setdefault(f.entity.table, []).append(
                Delivery(f.extract_date, f.relpath, columns)
            )

    def check(self, f: ExtractFile, columns: tuple[str, ...]) -> str | None:
        """The drift of ``f`` against the latest earlier delivery of its entity, if any.

        Args:
            f: The file.
            columns: Its delivered columns (contract names, then extra columns as kept).

        Returns:
            A message naming the missing optional columns, the earlier file that had
            them and the file's new extra columns; None when nothing is missing.
        """
        if f.extract_date is None or not columns:
            return None
        earlier = [
            d
            for d in self._by_entity.get(f.entity.table, [])
            if d.extract_date < f.extract_date and d.file != f.relpath
        ]
        if not earlier:
            return None
        previous = max(earlier, key=lambda d: (d.extract_date, d.file))
        optional = {c.name for c in f.entity.columns if not c.required}
        missing = [c for c in previous.columns if c in optional and c not in columns]
        if not missing:
            return None
        contract = {c.name for c in f.entity.columns}
        new = [c for c in columns if c not in contract and c not in previous.columns]
        message = (
            f"schema drift: column(s) {', '.join(missing)} delivered by {previous.file} "
            f"missing here, so they load empty"
        )
        if new:
            message += f"; new column(s) {', '.join(new)} (renamed?)"
        return message
