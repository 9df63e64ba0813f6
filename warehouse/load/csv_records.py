"""Every record of a CSV file accounted for, with its physical line.

DuckDB's CSV reader is fast but, on a malformed file, not always truthful: records
after an unterminated quote near the end of a file vanish without a reject, a stray
quote closed by a later one swallows the records between into one reject, and it
numbers records, not lines, so a reject after a quoted newline names the wrong line.

So the loader counts each file's physical lines apart from DuckDB and checks that the
records DuckDB returned (valid or rejected) account for all of them:

* every record one line and the count adds up (the common case): a record's line is its
  number plus one (the header);
* records with quoted newlines and the count adds up: lines are the running sum of each
  record's newlines;
* anything else (a line unaccounted for, a rejected record spanning several lines, a
  file DuckDB could not parse): the file is re-read here, record by record with
  Python's csv module, and a record that does not parse is rejected on its first line,
  the lines after it read on their own. What DuckDB staged for that file is replaced.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.load.errors import FileError

_BLOCK = 1 << 20


def physical_lines(path: Path) -> int:
    """Lines in a (possibly gzipped) file: its line feeds, plus a last unterminated line.

    Raises:
        FileError: The file cannot be read or decompressed to its end.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    count, last = 0, b""
    try:
        with opener(path, "rb") as fh:
            while block := fh.read(_BLOCK):
                count += block.count(b"\n")
                last = block[-1:]
    except (OSError, EOFError, zlib.error) as exc:
        raise FileError(f"unreadable: {exc}") from exc
    return count + (1 if last not in (b"", b"\n") else 0)


def counting_lines(paths: list[Path], read: Callable[[], None]) -> list[int]:
    """Run ``read`` (DuckDB's scan of ``paths``) while counting their physical lines.

    Decompressing and counting in a second thread costs almost no wall time: DuckDB
    scans with one thread and both release the interpreter while they work.

    Returns:
        Each file's physical lines, in ``paths`` order.

    Raises:
        FileError: A file cannot be read to its end.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        counted: Future[list[int]] = pool.submit(lambda: [physical_lines(p) for p in paths])
        read()
        return counted.result()


@dataclass(frozen=True)
class Parsed:
    """What a careful re-read found in one file.

    Attributes:
        records: ``(record_number, line, fields)`` of each record with the header's
            number of fields; an empty field is None, as DuckDB reads it.
        rejects: ``(record_number, line, reason, raw_text)`` of each record that is not.
    """

    records: list[tuple[int, int, list[str | None]]]
    rejects: list[tuple[int, int, str, str]]


def read_bytes(path: Path) -> bytes:
    """The whole content of a (possibly gzipped) file.

    Raises:
        FileError: The file cannot be read or decompressed to its end.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise FileError(f"unreadable: {exc}") from exc


def _lines(path: Path) -> list[str]:
    """The file's physical lines, each with its line feed; undecodable bytes replaced."""
    text = read_bytes(path).decode("utf-8-sig", errors="replace")
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def reread(path: Path, width: int) -> Parsed:
    """Parse a CSV file record by record, each with the physical line it starts on.

    A record whose quoting does not parse (a quote that never closes, or closes into
    something that is not a field end) is rejected on its first line, and reading
    resumes on the next line, so a stray quote costs one record, not the rest of the
    file. A record with a wrong number of fields is rejected too. Blank lines are not
    records.

    Args:
        path: The file.
        width: The header's number of fields.
    """
    lines = _lines(path)
    records: list[tuple[int, int, list[str | None]]] = []
    rejects: list[tuple[int, int, str, str]] = []
    i, number, header_seen = 0, 0, False
    while i < len(lines):
        start = i
        reader = csv.reader(iter(lines[start:]), strict=True)
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += header_seen
            rejects.append((number, start + 1, _quote_reason(exc, start + reader.line_num),
                            lines[start].rstrip("\r\n")))  # fmt: skip
            header_seen = True
            i = start + 1
            continue
        i = start + reader.line_num
        if not fields:
            continue
        if not header_seen:
            header_seen = True
            continue
        number += 1
        if len(fields) != width:
            kind = "too many columns" if len(fields) > width else "missing columns"
            raw = "".join(lines[start:i]).rstrip("\r\n")
            rejects.append((number, start + 1, f"malformed CSV record: {kind}", raw))
        else:
            records.append((number, start + 1, [f if f != "" else None for f in fields]))
    return Parsed(records, rejects)


def _quote_reason(exc: csv.Error, where: int) -> str:
    if "unexpected end of data" in str(exc):
        return (
            "malformed CSV record: unterminated quote (the quoted field opened on this "
            "line never closes; the lines after it are read on their own)"
        )
    if "expected after" in str(exc):
        return (
            f"malformed CSV record: unbalanced quote (the quoted field opened on this line "
            f"ends badly on line {where}: {exc}; the lines after it are read on their own)"
        )
    if "new-line character" in str(exc):
        return "malformed CSV record: a bare carriage return in an unquoted field"
    return f"malformed CSV record: {exc}"


def _extra_newlines(columns: list[str]) -> str:
    terms = [f"coalesce(length({c}) - length(replace({c}, chr(10), '')), 0)" for c in columns]
    return " + ".join(terms) or "0"


def account(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    width: int,
    staged_columns: list[str],
    selected: list[str],
    lines: list[int],
    failed_scan: bool = False,
) -> None:
    """Check the staged CSV records of each file against its physical lines; fix lines.

    Reads ``_staged`` and ``_structural`` (one row per record, numbered per file) and
    adds to ``_line_map`` (file, record number, physical line) the files whose lines
    are not simply record number plus one. Files that do not add up are re-read with
    :func:`reread` and their rows in ``_staged`` and ``_structural`` replaced.

    Args:
        con: The connection holding the staging tables.
        paths: The batch's files, by file index.
        width: The header's number of fields.
        staged_columns: The quoted value columns of ``_staged``, for counting newlines.
        selected: SQL that turns ``c0``, ``c1`` … into those columns.
        lines: Each file's physical lines (:func:`physical_lines`).
        failed_scan: DuckDB could not read the (single) file at all: re-read it.
    """
    stats = {
        index: (valid, structural, multiline)
        for index, valid, structural, multiline in con.execute(
            """
            select b._file_index, coalesce(v.n, 0), coalesce(s.n, 0), coalesce(s.multi, false)
            from _batch b
            left join (select _file_index, count(*) as n from _staged group by 1) v
                using (_file_index)
            left join (
                select _file_index, count(*) as n, bool_or(contains(raw_text, chr(10))) as multi
                from _structural group by 1
            ) s using (_file_index)
            """
        ).fetchall()
    }
    with_newlines: dict[int, int] = {}
    for index, (path, count) in enumerate(zip(paths, lines, strict=True)):
        valid, structural, multiline = stats[index]
        if failed_scan or multiline:
            _replace(con, index, reread(path, width), selected)
        elif count > 1 + valid + structural:
            with_newlines[index] = count
        # Fewer line feeds than records: CR-only line ends, which DuckDB splits on;
        # each record is then one of those lines.
    if not with_newlines:
        return
    indexes = ", ".join(str(i) for i in with_newlines)
    extra = dict(
        con.execute(
            f"select _file_index, sum({_extra_newlines(staged_columns)}) from _staged "
            f"where _file_index in ({indexes}) group by 1"
        ).fetchall()
    )
    for index, count in with_newlines.items():
        valid, structural, _ = stats[index]
        if count != 1 + valid + structural + int(extra.get(index) or 0):
            # Blank lines, or records DuckDB dropped: only a careful re-read can tell.
            _replace(con, index, reread(paths[index], width), selected)
            continue
        con.execute(
            f"""
            insert into _line_map
            select _file_index, _row_number,
                   1 + _row_number + coalesce(sum(extra) over (
                       order by _row_number rows between unbounded preceding and 1 preceding
                   ), 0)
            from (
                select _file_index, _row_number, {_extra_newlines(staged_columns)} as extra
                from _staged where _file_index = {index}
                union all
                select _file_index, _row_number, 0 from _structural where _file_index = {index}
            )
            """
        )


def _replace(
    con: duckdb.DuckDBPyConnection, index: int, parsed: Parsed, selected: list[str]
) -> None:
    """Swap what DuckDB staged for file ``index`` for the careful re-read's records."""
    con.execute(f"delete from _staged where _file_index = {index}")
    con.execute(f"delete from _structural where _file_index = {index}")
    width = max((len(fields) for _, _, fields in parsed.records), default=0)
    table = pa.table(
        {
            "_row_number": pa.array([n for n, _, _ in parsed.records], pa.int64()),
            **{
                f"c{i}": pa.array([fields[i] for _, _, fields in parsed.records], pa.string())
                for i in range(width)
            },
        }
    )
    rejects = pa.table(
        {
            "_row_number": pa.array([r[0] for r in parsed.rejects], pa.int64()),
            "reason": pa.array([r[2] for r in parsed.rejects], pa.string()),
            "raw_text": pa.array([r[3] for r in parsed.rejects], pa.string()),
        }
    )
    lines = pa.table(
        {
            "_row_number": pa.array(
                [n for n, _, _ in parsed.records] + [r[0] for r in parsed.rejects], pa.int64()
            ),
            "_line": pa.array(
                [line for _, line, _ in parsed.records] + [r[1] for r in parsed.rejects],
                pa.int64(),
            ),
        }
    )
    con.register("_reread", table)
    con.register("_reread_rejects", rejects)
    con.register("_reread_lines", lines)
    try:
        if parsed.records:
            con.execute(
                f"insert into _staged select {index}, _row_number, {', '.join(selected)} "
                "from _reread"
            )
        con.execute(
            f"insert into _structural select {index}, _row_number, reason, raw_text "
            "from _reread_rejects"
        )
        con.execute(f"insert into _line_map select {index}, _row_number, _line from _reread_lines")
    finally:
        for name in ("_reread", "_reread_rejects", "_reread_lines"):
            con.unregister(name)
