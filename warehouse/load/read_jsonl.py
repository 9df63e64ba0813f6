"""The JSON-lines reader: each line read whole, then parsed by DuckDB's JSON functions."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from warehouse.load.batching import Pending
from warehouse.load.csv_records import counting_lines, read_bytes
from warehouse.load.read_csv import MAX_RECORD_BYTES
from warehouse.load.sql import literal, paths_list, quote

#: Record separator: a byte that never occurs in a JSON line, so DuckDB's CSV reader
#: hands each line over whole.
_LINE_DELIMITER = "\x1e"


def stage_jsonl(
    con: duckdb.DuckDBPyConnection, batch: list[Pending], names: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Read JSON-lines files line by line into ``_src``; broken lines are quarantined.

    ``_src`` holds ``_file_index``, ``_row_number`` (the line number), ``_raw_line`` and
    one column per contract column; lines that are not a JSON object go to
    ``_structural``.

    Returns:
        Contract column -> itself (JSON fields are looked up by their contract name),
        and no extra names.
    """
    del names
    cols = batch[0].file.entity.columns
    paths = ", ".join(literal(f"$.{c.name}") for c in cols)
    # json_extract returns every field as JSON (objects ready for their JSON columns);
    # scalar fields are then unquoted from their small JSON texts, and a JSON null
    # becomes SQL NULL.
    extract = (
        f"case when left(ltrim(line), 1) = '{{' and json_valid(line) "
        f"then json_extract(line, [{paths}]) end"
    )
    files = [p.file.path for p in batch]
    # Rows are stored in the order read (file by file, line by line), so a row's id less
    # its file's first id is its line number in the file.
    scan = f"""
        create or replace temp table _lines as
        select file_index::integer as _file_index, line, {extract} as s
        from read_csv({paths_list(files)}, columns={{'line': 'VARCHAR'}}, header=false,
            auto_detect=false, delim={literal(_LINE_DELIMITER)}, quote='', escape='',
            parallel=false, strict_mode=false, max_line_size={MAX_RECORD_BYTES})
        """
    lines = counting_lines(files, lambda: con.execute(scan))
    _reread_unsplit_files(con, batch, extract, lines)
    con.execute(
        """
        create or replace temp view _numbered_lines as
        select l._file_index, l.rowid - f.base as _row_number, l.line, l.s
        from _lines l
        join (select _file_index, min(rowid) - 1 as base from _lines group by 1) f
            using (_file_index)
        union all
        select _file_index, _row_number, line, s from _lines_reread
        """
    )
    con.execute(
        """
        create or replace temp table _structural as
        select _file_index, _row_number, 'broken JSON line' as reason, line as raw_text
        from _numbered_lines
        where s is null and line is not null and trim(line) <> ''
        """
    )
    selected = ", ".join(
        (
            f"case when s[{i + 1}]::varchar <> 'null' then s[{i + 1}] end"
            if c.type == "JSON"
            else f"s[{i + 1}] ->> '$'"
        )
        + f" as {quote(c.name)}"
        for i, c in enumerate(cols)
    )
    con.execute(
        f"""
        create or replace temp view _src as
        select _file_index, _row_number, line as _raw_line, {selected}
        from _numbered_lines where s is not null
        """
    )
    return {c.name: c.name for c in cols}, []


def _reread_unsplit_files(
    con: duckdb.DuckDBPyConnection, batch: list[Pending], extract: str, lines: list[int]
) -> None:
    """Re-split the files whose lines DuckDB's reader did not split on line feeds alone.

    The reader also ends a line at a carriage return, so a CRLF file gains an empty line
    per line and a line holding a raw CR breaks in two: line numbers drift and one bad
    record becomes two rejects. Such a file (its row count differs from its physical
    lines) is split here on line feeds, one trailing CR dropped, and its lines moved
    from ``_lines`` to ``_lines_reread`` with their true numbers.

    Args:
        con: The connection holding ``_lines``.
        batch: The batch's files, by file index.
        extract: SQL over ``line`` giving the parsed fields (``s``) of a JSON object.
        lines: Each file's physical lines.
    """
    con.execute(
        "create or replace temp table _lines_reread as "
        "select _file_index, 0::bigint as _row_number, line, s from _lines limit 0"
    )
    counts = dict(con.execute("select _file_index, count(*) from _lines group by 1").fetchall())
    for index, (p, count) in enumerate(zip(batch, lines, strict=True)):
        if count == counts.get(index, 0):
            continue
        split = read_bytes(p.file.path).split(b"\n")
        if split and split[-1] == b"":
            split.pop()
        texts = [line.removesuffix(b"\r").decode("utf-8", errors="replace") for line in split]
        table = pa.table(
            {
                "_row_number": pa.array(range(1, len(texts) + 1), pa.int64()),
                "line": pa.array(texts, pa.string()),
            }
        )
        con.execute(f"delete from _lines where _file_index = {index}")
        con.register("_reread", table)
        try:
            con.execute(
                f"insert into _lines_reread select {index}, _row_number, line, {extract} "
                "from _reread"
            )
        finally:
            con.unregister("_reread")
