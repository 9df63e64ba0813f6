"""The query that selects an audience's exported rows, shared by staging and audit."""

from __future__ import annotations

from collections.abc import Collection

from warehouse.audiences import Audience
from warehouse.export.layout import file_columns
from warehouse.export.safe_csv import neutralised
from warehouse.export.sql import quote


def export_query(audience: Audience, neutralise: Collection[str] = ()) -> str:
    """The treated members of the audience, with the file's headers, in a stable order.

    Args:
        audience: The audience.
        neutralise: Headers of the text columns whose formula-like cells get a leading
            single quote (the CSV file's; the Parquet file keeps the values as they are).
    """
    headers = file_columns(audience)
    cells = []
    for column, header in zip(audience.columns, headers, strict=True):
        value = f"t.{quote(column)}"
        cells.append(f"{neutralised(value) if header in neutralise else value} as {quote(header)}")
    # Sorted by the stored values, so the CSV and Parquet files list rows alike.
    order = ", ".join(f"t.{quote(c)} nulls last" for c in audience.columns)
    return (
        f"select {', '.join(cells)} from audiences.{quote(audience.model)} t "
        f"where not t.is_control order by {order}"
    )
