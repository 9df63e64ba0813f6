"""CSV cells a spreadsheet cannot run: formula injection neutralised (OWASP).

A spreadsheet treats a cell that begins with ``=``, ``+``, ``-``, ``@``, tab, carriage
return or line feed as a formula, so a first name such as ``=HYPERLINK(...)`` would run
when a marketer opens the file. OWASP's CSV Injection guidance: prefix such a cell with a
single quote, which spreadsheets read as "this is text", and quote separators and
quotes properly (DuckDB's CSV writer quotes any cell holding a comma, quote or line
break, so a payload cannot start a new cell).

Only text cells are touched. A cell that is a plain number (an optional sign, digits, an
optional decimal part: E.164 phones such as ``+447700900123``) cannot carry a formula and
is written as is, like numeric, date and boolean columns; hashes, ids and ISO dates never
begin with a trigger. The Parquet files keep every original value.
"""

from __future__ import annotations

import duckdb

from warehouse.export.sql import literal, quote

#: First characters that make a spreadsheet evaluate a cell (RE2, as DuckDB reads it).
FORMULA_START = r"^[=+\-@\t\r\n]"
PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"
TEXT_TYPES = ("VARCHAR",)


def neutralised(expression: str) -> str:
    """SQL: the text value with a single quote in front when it would start a formula."""
    return (
        f"case when regexp_matches({expression}, {literal(FORMULA_START)}) "
        f"and not regexp_full_match({expression}, {literal(PLAIN_NUMBER)}) "
        f"then '''' || {expression} else {expression} end"
    )


def text_columns(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """Output columns of a query whose values are text."""
    return [r[0] for r in con.execute(f"describe {query}").fetchall() if r[1] in TEXT_TYPES]


def formula_cells(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> int:
    """Cells of a column read back from a CSV that a spreadsheet would run as a formula."""
    value = f"cast({quote(column)} as varchar)"
    return con.execute(
        f"select count(*) from {relation} where regexp_matches({value}, "
        f"{literal(FORMULA_START)}) and not regexp_full_match({value}, "
        f"{literal(PLAIN_NUMBER)})"
    ).fetchone()[0]
