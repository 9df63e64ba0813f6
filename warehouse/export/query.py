"""The query that selects a file's rows, shared by staging and audit."""

from __future__ import annotations

from collections.abc import Collection

from warehouse.audiences import Audience
from warehouse.export.layout import FORMATS, ExportFile
from warehouse.export.profiles import GENERIC
from warehouse.export.safe_csv import neutralised
from warehouse.export.sql import literal, quote


def export_query(target: Audience | ExportFile, neutralise: Collection[str] = ()) -> str:
    """The treated members of the audience, with the file's headers, in a stable order.

    Args:
        target: The file (an audience alone means its generic files).
        neutralise: Headers of the text columns whose formula-like cells get a leading
            single quote (the CSV file's; the Parquet file keeps the values as they are).
    """
    file = target if isinstance(target, ExportFile) else ExportFile(target, GENERIC, FORMATS[0])
    audience = file.audience
    cells = []
    for field in file.fields:
        value = f"t.{quote(field.column)}" if field.column else literal(field.value or "")
        shown = neutralised(value) if field.header in neutralise else value
        cells.append(f"{shown} as {quote(field.header)}")
    # Sorted by the stored values, so every file of an audience lists rows alike.
    order = ", ".join(f"t.{quote(c)} nulls last" for c in audience.columns)
    return (
        f"select {', '.join(cells)} from audiences.{quote(audience.model)} t "
        f"where not t.is_control order by {order}"
    )
