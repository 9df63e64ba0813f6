"""Stage, validate and write one batch of files of one entity and layout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb

from warehouse.contract import METADATA_COLUMNS
from warehouse.load.batching import Pending
from warehouse.load.columns import extra_column_name
from warehouse.load.ledger import existing_columns
from warehouse.load.read_csv import stage_csv
from warehouse.load.read_jsonl import stage_jsonl
from warehouse.load.read_parquet import stage_parquet
from warehouse.load.results import FileResult
from warehouse.load.rules import typed, violations
from warehouse.load.sql import literal, quote

DEFAULT_MAX_REJECT_RATE = 0.05
#: The reject rate only fails a file with at least this many rejected rows, so one bad
#: row in a ten-row delivery is quarantined rather than failing the file.
DEFAULT_MIN_REJECTS_TO_FAIL = 10

Stager = Callable[
    [duckdb.DuckDBPyConnection, list[Pending], list[str]], tuple[dict[str, str], list[str]]
]
STAGERS: dict[str, Stager] = {"csv": stage_csv, "jsonl": stage_jsonl, "parquet": stage_parquet}

_SCRATCH = (
    ("view", "_src"),
    ("view", "_numbered_lines"),
    ("table", "_staged"),
    ("table", "_lines"),
    ("table", "_lines_reread"),
    ("table", "_bad"),
    ("table", "_batch"),
    ("table", "_structural"),
    ("table", "_suspect"),
    ("table", "_line_map"),
    ("table", "_csv_rejects"),
    ("table", "_csv_scans"),
)


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the temporary tables and views a batch leaves behind."""
    con.execute("; ".join(f"drop {kind} if exists {name}" for kind, name in _SCRATCH))


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[Pending],
    loaded_at: dt.datetime,
    max_reject_rate: float,
    min_rejects_to_fail: int,
    earliest_date: dt.date | None = None,
) -> list[FileResult]:
    """Stage, validate and write files of one entity and layout, inside the caller's
    transaction; return one result per file, in ``batch`` order.

    A file whose reject rate is above the threshold fails alone: none of its rows are
    written. A DuckDB error (an unreadable file) fails the whole batch; the caller then
    loads its files one by one to tell which. Rows of a file that repeat a key, and rows
    timestamped after the file's extract date, load and are counted in the file's
    result, with a warning.
    """
    first = batch[0].file
    ent, reader = first.entity, first.reader
    con.execute(
        "create or replace temp table _batch (_file_index integer, path varchar, "
        "file varchar, sha varchar, extract_date date, ok boolean)"
    )
    con.executemany(
        "insert into _batch values (?, ?, ?, ?, ?, true)",
        [
            [i, str(p.file.path), p.file.relpath, p.sha, p.file.extract_date]
            for i, p in enumerate(batch)
        ],
    )
    # Physical lines of records whose line is not simply their number (plus the header).
    con.execute(
        "create or replace temp table _line_map "
        "(_file_index integer, _row_number bigint, _line bigint)"
    )
    mapping, extras = STAGERS[reader](con, batch, list(batch[0].names))
    present = set(mapping)
    json_checked = reader == "jsonl"
    rules = violations(ent, present, json_checked, earliest_date)
    taken = {name.lower() for name in extras}
    kept = [extra_column_name(n, taken) for n in extras]
    delivered = list(mapping) + kept
    record_json = (
        "_src._raw_line"
        if reader == "jsonl"
        else "to_json({" + ", ".join(f"{literal(n)}: _src.{quote(n)}" for n in delivered) + "})"
    )
    # One scan finds the (few) rows breaking any rule; the reasons are then worked out
    # on those rows only.
    any_rule = " or ".join(f"({r.condition})" for r in rules) or "false"
    con.execute(f"create or replace temp table _suspect as select * from _src where {any_rule}")
    con.execute(
        "create or replace temp table _bad (_file_index integer, _row_number bigint, "
        "column_name varchar, reason varchar, raw_text varchar)"
    )
    has_suspects = con.execute("select exists (select 1 from _suspect)").fetchone()[0]
    for rule in rules if has_suspects else []:
        con.execute(
            f"insert into _bad select _src._file_index, _src._row_number, "
            f"{literal(rule.column)}, {rule.reason}, {record_json}::varchar "
            f"from _suspect as _src where {rule.condition}"
        )
    results = _account(con, batch, max_reject_rate, min_rejects_to_fail)

    if kept:
        existing = existing_columns(con, ent.table)
        for name in kept:
            if name not in existing:
                con.execute(f"alter table raw.{ent.table} add column {quote(name)} varchar")
                existing.add(name)
    target = [c.name for c in ent.columns] + kept
    values = [
        typed(c, json_checked) if c.name in present else f"null::{c.type}" for c in ent.columns
    ] + [f"_src.{quote(n)}" for n in kept]
    meta = ", ".join(quote(m) for m, _ in METADATA_COLUMNS)
    con.execute(
        f"""
        insert into raw.{ent.table} ({", ".join(quote(t) for t in target)}, {meta})
        select {", ".join(values)}, b.file, b.sha, b.extract_date, ?, _src._row_number
        from _src join _batch b on b._file_index = _src._file_index and b.ok
        anti join _bad on _bad._file_index = _src._file_index
            and _bad._row_number = _src._row_number
        """,
        [loaded_at],
    )
    con.execute(
        """
        insert into raw._rejects
        select b.file, b.sha, ?, ?, coalesce(m._line, r._row_number + ?), r.column_name,
               r.reason, r.raw_text
        from (
            select _file_index, _row_number, column_name, reason, raw_text from _bad
            union all
            select _file_index, _row_number, null, reason, raw_text from _structural
        ) r join _batch b on b._file_index = r._file_index and b.ok
        left join _line_map m
            on m._file_index = r._file_index and m._row_number = r._row_number
        order by r._file_index, r._row_number, r.column_name
        """,
        # CSV lines count the header; JSON lines and Parquet rows are counted from 1.
        [ent.source, ent.name, 1 if reader == "csv" else 0],
    )
    _count_repeats_and_late(con, batch, present, loaded_at, results)
    return results


def _valid_rows() -> str:
    """The staged rows that pass every rule, as a FROM clause over ``_src``."""
    return (
        "_src anti join _bad on _bad._file_index = _src._file_index "
        "and _bad._row_number = _src._row_number"
    )


def _count_repeats_and_late(
    con: duckdb.DuckDBPyConnection,
    batch: list[Pending],
    present: set[str],
    loaded_at: dt.datetime,
    results: list[FileResult],
) -> None:
    """Count, per file, in one scan of the rows just written (typed already, so no
    value is cast twice): rows whose key an earlier row of the file already had, and
    rows with a timestamp after the file's extract date."""
    ent = batch[0].file.entity
    key = ent.record_key if set(ent.record_key) <= present else ()
    stamps = [c for c in ent.columns if c.type == "TIMESTAMPTZ" and c.name in present]
    if not key and not stamps:
        return
    # A tuple of several key columns counts as one distinct value (a row).
    columns = ", ".join(f"t.{quote(k)}" for k in key)
    repeats = f"count(*) - count(distinct {columns if len(key) == 1 else f'({columns})'})"
    repeats = repeats if key else "0"
    later = " or ".join(f"t.{quote(c.name)} >= t._extract_date + interval 1 day" for c in stamps)
    counts = {
        index: (int(n_repeats), int(n_later))
        for index, n_repeats, n_later in con.execute(
            f"""
            select b._file_index, {repeats}, count(*) filter (where {later or "false"})
            from raw.{ent.table} t
            join _batch b on b.file = t._file and b.sha = t._file_sha256 and b.ok
            where t._loaded_at = ?
            group by 1
            """,
            [loaded_at],
        ).fetchall()
    }
    for index, (result, pending) in enumerate(zip(results, batch, strict=True)):
        n_repeats, n_later = counts.get(index, (0, 0))
        if result.status != "loaded":
            continue
        if n_repeats:
            result.duplicate_keys = n_repeats
            result.warnings.append(
                f"{n_repeats} rows repeat a key ({', '.join(key)}) of an earlier row of the file"
            )
        if n_later:
            result.future_timestamps = n_later
            result.warnings.append(
                f"{n_later} rows have a timestamp ({', '.join(c.name for c in stamps)}) after "
                f"the extract date {pending.file.extract_date}"
            )


def _account(
    con: duckdb.DuckDBPyConnection,
    batch: list[Pending],
    max_reject_rate: float,
    min_rejects_to_fail: int,
) -> list[FileResult]:
    """Per-file counts of the staged batch; a file over the reject rate is marked not ok."""
    counts = con.execute(
        """
        select b._file_index, coalesce(v.n, 0), coalesce(s.n, 0), coalesce(x.n, 0)
        from _batch b
        left join (select _file_index, count(*) as n from _src group by 1) v using (_file_index)
        left join (select _file_index, count(*) as n from _structural group by 1) s
            using (_file_index)
        left join (select _file_index, count(distinct _row_number) as n from _bad group by 1) x
            using (_file_index)
        order by 1
        """
    ).fetchall()
    results: list[FileResult] = []
    for (index, n_valid, n_structural, n_semantic), pending in zip(counts, batch, strict=True):
        rows_read = n_valid + n_structural
        rows_rejected = n_semantic + n_structural
        relpath = pending.file.relpath
        if rows_rejected >= min_rejects_to_fail and rows_rejected / rows_read > max_reject_rate:
            error = (
                f"{rows_rejected} of {rows_read} rows rejected "
                f"({rows_rejected / rows_read:.1%} > {max_reject_rate:.1%})"
            )
            con.execute("update _batch set ok = false where _file_index = ?", [index])
            results.append(FileResult(relpath, "failed", error=error))
        else:
            results.append(
                FileResult(
                    relpath,
                    "loaded",
                    rows_read,
                    rows_read - rows_rejected,
                    rows_rejected,
                    warnings=list(pending.warnings),
                )
            )
    return results
