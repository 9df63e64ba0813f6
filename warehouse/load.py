"""Load source extracts from the landing folder into DuckDB's ``raw`` schema.

Every file under ``$PZ_LANDING_DIR/<source>/<extract_date>/<entity>.<ext>`` that is new
or changed since the last load lands in ``raw.<source>__<entity>``, as delivered, with
the metadata columns ``_file``, ``_file_sha256``, ``_extract_date``, ``_loaded_at`` and
``_row_number``. DuckDB's own readers do the parsing; validation against the extract
contract (``warehouse/contract.py``) is set-based SQL, so no Python loop touches a row.

Guarantees:

* Idempotent: a file already loaded with the same sha256 is skipped; a file whose
  content changed replaces its earlier rows. Loading twice changes nothing. A file that
  failed is tried again on every load until it is fixed, so its failure keeps showing.
* Rows that break the contract (a value that does not cast to the contract type, a
  missing required value, a value outside the accepted set or below its minimum, a
  malformed CSV record, a broken JSON line) go to ``raw._rejects`` with file, line,
  column, reason and the raw text; the valid rows of the same file still load.
* ``raw._loads`` accounts for every file: ``rows_read = rows_loaded + rows_rejected``.
* A file that cannot be used at all (unreadable, corrupt gzip, empty with no header,
  missing a required column, not in an extract-date folder) or whose reject rate is
  above the threshold fails: nothing from it is loaded, the failure is recorded in
  ``raw._loads`` with the reason, the other files still load, and the load reports it
  (``python -m warehouse.load`` exits with status 1).
* A file's rows, rejects and accounting commit together or not at all. Files of one
  entity and layout are read, validated and committed in batches (one DuckDB scan
  over many daily files); accounting, line numbers and reject rates stay per file,
  and a batch that meets an unreadable file is retried one file at a time.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.contract import ENTITIES, EXTENSIONS, METADATA_COLUMNS, Column, Entity
from warehouse.settings import load_settings

log = logging.getLogger(__name__)

DEFAULT_MAX_REJECT_RATE = 0.05
#: The reject rate only fails a file with at least this many rejected rows, so one bad
#: row in a ten-row delivery is quarantined rather than failing the file.
DEFAULT_MIN_REJECTS_TO_FAIL = 10
#: Files of one entity are read, validated and committed together, up to about this much
#: uncompressed text per batch (a gzip file counts six times its size): one scan over
#: many small daily files keeps both cores busy and commits once.
DEFAULT_BATCH_BYTES = 256 << 20
#: Record separator: a byte that never occurs in a JSON line, so DuckDB's CSV reader
#: hands each line over whole.
_LINE_DELIMITER = "\x1e"
_ENTITIES_BY_KEY = {(e.source, e.name): e for e in ENTITIES}

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
    cols = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
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


class FileError(Exception):
    """A file that cannot be used at all; the message names the problem."""


@dataclass(frozen=True)
class ExtractFile:
    """One delivered file in the landing folder."""

    path: Path
    relpath: str
    entity: Entity
    extract_date: dt.date | None
    reader: str


@dataclass
class FileResult:
    """What happened to one file."""

    file: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None


@dataclass
class LoadSummary:
    """Outcome of one load over the landing folder."""

    results: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        """Files that could not be loaded."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def loaded(self) -> list[FileResult]:
        """Files loaded by this run."""
        return [r for r in self.results if r.status == "loaded"]

    @property
    def skipped(self) -> list[FileResult]:
        """Files already loaded with the same content."""
        return [r for r in self.results if r.status == "skipped"]


def discover(landing_dir: Path) -> tuple[list[ExtractFile], list[str]]:
    """List the contract files under ``landing_dir`` in a stable order.

    Returns:
        The extract files, and the relative paths of files that are not part of the
        contract (unknown source or entity, unknown extension); those are ignored.
        Folders whose name starts with ``_`` or ``.`` are skipped entirely.
    """
    files: list[ExtractFile] = []
    ignored: list[str] = []
    for path in sorted(landing_dir.rglob("*")):
        rel = path.relative_to(landing_dir)
        if not path.is_file() or any(p.startswith(("_", ".")) for p in rel.parts):
            continue
        reader, stem = _split_extension(path.name)
        parts = rel.parts
        if reader is None or len(parts) != 3 or (parts[0], stem) not in _ENTITIES_BY_KEY:
            ignored.append(rel.as_posix())
            continue
        try:
            extract_date = dt.date.fromisoformat(parts[1])
        except ValueError:
            extract_date = None
        files.append(
            ExtractFile(
                path, rel.as_posix(), _ENTITIES_BY_KEY[(parts[0], stem)], extract_date, reader
            )
        )
    return files, ignored


def _split_extension(name: str) -> tuple[str | None, str]:
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.lower().endswith(ext):
            return EXTENSIONS[ext], name[: -len(ext)]
    return None, name


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _csv_header(path: Path) -> list[str]:
    """Column names from the first line of a (possibly gzipped) CSV file."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except (OSError, EOFError) as exc:
        raise FileError(f"unreadable: {exc}") from exc
    text = first.decode("utf-8-sig", errors="replace").strip("\r\n")
    if not text.strip():
        raise FileError("empty file with no header")
    return [name.strip() for name in next(csv.reader(io.StringIO(text)))]


def _parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Column names of a Parquet file, from its footer."""
    try:
        query = f"select * from read_parquet({_literal(str(path))}) limit 0"
        return [d[0] for d in con.execute(query).description]
    except duckdb.Error as exc:
        raise FileError(f"unreadable Parquet: {str(exc).splitlines()[0]}") from exc


def _match_columns(ent: Entity, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map contract column -> delivered name; return also the extra delivered names."""
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


@dataclass(frozen=True)
class _Pending:
    """A file to load, with what was learnt about it before staging."""

    file: ExtractFile
    sha: str
    size: int
    #: Delivered column names (CSV header, Parquet schema); empty for JSON lines.
    names: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str, tuple[str, ...]]:
        """Files with the same key are staged together."""
        return (self.file.entity.table, self.file.reader, self.file.path.suffix, self.names)

    @property
    def text_bytes(self) -> int:
        """Rough uncompressed size, for sizing batches."""
        return self.size * (6 if self.file.path.name.lower().endswith(".gz") else 1)


def _paths_sql(batch: list[_Pending]) -> str:
    return "[" + ", ".join(_literal(str(p.file.path)) for p in batch) + "]"


def _stage_csv(
    con: duckdb.DuckDBPyConnection, batch: list[_Pending], names: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Read CSV files with one header, all VARCHAR, into ``_src``; quarantine bad records.

    ``_src`` holds ``_file_index`` (position in ``batch``), ``_row_number`` (the record's
    number in its file) and one column per delivered name, renamed to the contract's.
    """
    ent = batch[0].file.entity
    mapping, extras = _match_columns(ent, names)
    columns = ", ".join(f"{_literal(f'c{i}')}: 'VARCHAR'" for i in range(len(names)))
    con.execute("drop table if exists _csv_rejects; drop table if exists _csv_scans")
    # One scan over all the batch's files. Rows are stored in the order read (file by
    # file, record by record), so a row's id less its file's first id numbers the
    # file's valid records.
    con.execute(
        f"""
        create or replace temp table _read as
        select file_index::integer as _file_index, *
        from read_csv({_paths_sql(batch)}, columns={{{columns}}}, header=true,
            auto_detect=false, delim=',', quote='"', escape='"', parallel=false,
            store_rejects=true, rejects_table='_csv_rejects', rejects_scan='_csv_scans')
        """
    )
    # A record the reader could not split into the header's columns is quarantined by
    # DuckDB with its line (record number + 1). Valid records get their true record
    # number by filling the gaps those rejected records leave.
    con.execute(
        """
        create or replace temp table _structural as
        select b._file_index, r.line - 1 as _row_number,
               'malformed CSV record: ' || lower(string_agg(distinct r.error_type::varchar, ', '))
                   as reason,
               any_value(trim(r.csv_line, chr(10) || chr(13))) as raw_text
        from _csv_rejects r join _csv_scans s using (scan_id, file_id)
        join _batch b on b.path = s.file_path
        group by all
        """
    )
    position = {name: i for i, name in enumerate(names)}
    selected = [
        f"c{position[delivered]} as {_quote(col)}" for col, delivered in mapping.items()
    ] + [f"c{position[name]} as {_quote(name.lower())}" for name in extras]
    con.execute(
        f"""
        create or replace temp table _staged as
        with firsts as (
            select _file_index, min(rowid) - 1 as base, count(*) as n
            from _read group by 1
        ),
        numbering as (
            -- only files with malformed records: the k-th valid record's number
            select t._file_index, row_number() over (
                       partition by t._file_index order by t._row_number) as k,
                   t._row_number
            from (
                select f._file_index, unnest(range(1, f.n + s.n + 1)) as _row_number
                from firsts f
                join (select _file_index, count(*) as n from _structural group by 1) s
                    using (_file_index)
            ) t
            anti join _structural x using (_file_index, _row_number)
        )
        select r._file_index,
               coalesce(numbering._row_number, r.rowid - f.base) as _row_number,
               {", ".join(selected)}
        from _read r join firsts f using (_file_index)
        left join numbering
            on numbering._file_index = r._file_index and numbering.k = r.rowid - f.base
        """
    )
    con.execute("drop table _read")
    con.execute("create or replace temp view _src as select * from _staged")
    return mapping, extras


def _stage_jsonl(
    con: duckdb.DuckDBPyConnection, batch: list[_Pending], names: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Read JSON-lines files line by line into ``_src``; broken lines are quarantined."""
    del names
    cols = batch[0].file.entity.columns
    paths = ", ".join(_literal(f"$.{c.name}") for c in cols)
    # json_extract returns every field as JSON (objects ready for their JSON columns);
    # scalar fields are then unquoted from their small JSON texts, and a JSON null
    # becomes SQL NULL.
    # Rows are stored in the order read (file by file, line by line), so a row's id less
    # its file's first id is its line number in the file.
    con.execute(
        f"""
        create or replace temp table _lines as
        select file_index::integer as _file_index, line,
               case when left(ltrim(line), 1) = '{{' and json_valid(line)
                    then json_extract(line, [{paths}]) end as s
        from read_csv({_paths_sql(batch)}, columns={{'line': 'VARCHAR'}}, header=false,
            auto_detect=false, delim={_literal(_LINE_DELIMITER)}, quote='', escape='',
            parallel=false, strict_mode=false)
        """
    )
    con.execute(
        """
        create or replace temp view _numbered_lines as
        select l._file_index, l.rowid - f.base as _row_number, l.line, l.s
        from _lines l
        join (select _file_index, min(rowid) - 1 as base from _lines group by 1) f
            using (_file_index)
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
        + f" as {_quote(c.name)}"
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


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, batch: list[_Pending], names: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Read Parquet files with one schema into ``_src`` with their row numbers."""
    mapping, extras = _match_columns(batch[0].file.entity, names)
    selected = [f"{_quote(d)}::varchar as {_quote(c)}" for c, d in mapping.items()] + [
        f"{_quote(n)}::varchar as {_quote(n.lower())}" for n in extras
    ]
    con.execute(
        "create or replace temp table _structural "
        "(_file_index integer, _row_number bigint, reason varchar, raw_text varchar)"
    )
    con.execute(
        f"""
        create or replace temp table _staged as
        select file_index::integer as _file_index, file_row_number + 1 as _row_number,
               {", ".join(selected)}
        from read_parquet({_paths_sql(batch)}, file_row_number=true)
        """
    )
    con.execute("create or replace temp view _src as select * from _staged")
    return mapping, extras


def _typed(col: Column, json_checked: bool = False) -> str:
    """SQL for the value of ``col`` in ``_src`` cast to its contract type (NULL if blank).

    Args:
        col: The contract column.
        json_checked: JSON values come from an already parsed JSON line, so they are
            known to be valid JSON and need no second parse.
    """
    raw = f"nullif(trim(_src.{_quote(col.name)}), '')"
    if col.type == "VARCHAR":
        return f"_src.{_quote(col.name)}"
    if col.type == "JSON":
        if json_checked:
            return f"_src.{_quote(col.name)}"
        return f"case when json_valid({raw}) then {raw}::json end"
    return f"try_cast({raw} as {col.type})"


def _violations(ent: Entity, present: set[str], json_checked: bool) -> list[tuple[str, str, str]]:
    """(column, condition over ``_src``, reason SQL) for every contract rule."""
    rules: list[tuple[str, str, str]] = []
    for col in ent.columns:
        if col.name not in present:
            continue
        raw = f"nullif(trim(_src.{_quote(col.name)}), '')"
        value = _typed(col, json_checked)
        if col.required:
            rules.append((col.name, f"{raw} is null", "'missing required value'"))
        if col.type == "JSON":
            if not json_checked:
                rules.append(
                    (col.name, f"{raw} is not null and {value} is null", "'not valid JSON'")
                )
            continue
        if col.type != "VARCHAR":
            rules.append(
                (
                    col.name,
                    f"{raw} is not null and {value} is null",
                    f"'cannot read ' || {_literal(repr_sql_hint(col))} || ' from ' || {raw}",
                )
            )
        if col.accepted:
            allowed = ", ".join(_literal(a.lower()) for a in col.accepted)
            rules.append(
                (
                    col.name,
                    f"{raw} is not null and lower({raw}) not in ({allowed})",
                    f"'value ' || {raw} || ' not in ({', '.join(col.accepted)})'",
                )
            )
        if col.min_value is not None:
            rules.append(
                (
                    col.name,
                    f"{value} < {col.min_value}",
                    f"'value ' || {raw} || ' below minimum {col.min_value:g}'",
                )
            )
    for group in ent.one_of:
        cols = [c for c in group if c in present]
        cond = " and ".join(f"nullif(trim(_src.{_quote(c)}), '') is null" for c in cols) or "true"
        rules.append(("|".join(group), cond, f"'needs one of {', '.join(group)}'"))
    return rules


def repr_sql_hint(col: Column) -> str:
    """Human name of a contract type for reject reasons."""
    return {
        "TIMESTAMPTZ": "an ISO 8601 timestamp",
        "DATE": "a date",
        "DOUBLE": "a number",
        "INTEGER": "an integer",
        "BOOLEAN": "a boolean",
        "JSON": "a JSON object",
    }.get(col.type, col.type)


def _existing_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "select lower(column_name) from information_schema.columns "
        "where table_schema = 'raw' and table_name = ?",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[_Pending],
    loaded_at: dt.datetime,
    max_reject_rate: float,
    min_rejects_to_fail: int,
    columns_cache: dict[str, set[str]],
) -> list[FileResult]:
    """Stage, validate and write files of one entity and layout, inside the caller's
    transaction; return one result per file, in ``batch`` order.

    A file whose reject rate is above the threshold fails alone: none of its rows are
    written. A DuckDB error (an unreadable file) fails the whole batch; the caller then
    loads its files one by one to tell which.
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
    stage = {"csv": _stage_csv, "jsonl": _stage_jsonl, "parquet": _stage_parquet}[reader]
    mapping, extras = stage(con, batch, list(batch[0].names))
    present = set(mapping)
    json_checked = reader == "jsonl"
    rules = _violations(ent, present, json_checked)
    delivered = list(mapping) + [n.lower() for n in extras]
    record_json = (
        "_src._raw_line"
        if reader == "jsonl"
        else "to_json({" + ", ".join(f"{_literal(n)}: _src.{_quote(n)}" for n in delivered) + "})"
    )
    # One scan finds the (few) rows breaking any rule; the reasons are then worked out
    # on those rows only.
    any_rule = " or ".join(f"({cond})" for _, cond, _ in rules) or "false"
    con.execute(f"create or replace temp table _suspect as select * from _src where {any_rule}")
    con.execute(
        "create or replace temp table _bad (_file_index integer, _row_number bigint, "
        "column_name varchar, reason varchar, raw_text varchar)"
    )
    has_suspects = con.execute("select exists (select 1 from _suspect)").fetchone()[0]
    for column, cond, reason in rules if has_suspects else []:
        con.execute(
            f"insert into _bad select _src._file_index, _src._row_number, {_literal(column)}, "
            f"{reason}, {record_json}::varchar from _suspect as _src where {cond}"
        )
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
                FileResult(relpath, "loaded", rows_read, rows_read - rows_rejected, rows_rejected)
            )

    existing = columns_cache.get(ent.table)
    if existing is None:
        existing = columns_cache[ent.table] = _existing_columns(con, ent.table)
    for name in extras:
        if name.lower() not in existing:
            con.execute(f"alter table raw.{ent.table} add column {_quote(name.lower())} varchar")
            existing.add(name.lower())
    target = [c.name for c in ent.columns] + [n.lower() for n in extras]
    values = [
        _typed(c, json_checked) if c.name in present else f"null::{c.type}" for c in ent.columns
    ] + [f"_src.{_quote(n.lower())}" for n in extras]
    meta = ", ".join(_quote(m) for m, _ in METADATA_COLUMNS)
    con.execute(
        f"""
        insert into raw.{ent.table} ({", ".join(_quote(t) for t in target)}, {meta})
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
        select b.file, b.sha, ?, ?, r._row_number + ?, r.column_name, r.reason, r.raw_text
        from (
            select _file_index, _row_number, column_name, reason, raw_text from _bad
            union all
            select _file_index, _row_number, null, reason, raw_text from _structural
        ) r join _batch b on b._file_index = r._file_index and b.ok
        order by r._file_index, r._row_number, r.column_name
        """,
        # CSV lines count the header; JSON lines and Parquet rows are counted from 1.
        [ent.source, ent.name, 1 if reader == "csv" else 0],
    )
    return results


def _record(
    con: duckdb.DuckDBPyConnection,
    f: ExtractFile,
    sha: str,
    size: int,
    result: FileResult,
    loaded_at: dt.datetime,
) -> None:
    con.execute(
        "insert into raw._loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
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
            loaded_at,
        ],
    )


def _batches(pending: list[_Pending], max_bytes: int) -> list[list[_Pending]]:
    """Files grouped by entity and layout, in discovery order, each group cut to size."""
    groups: dict[tuple, list[_Pending]] = {}
    for p in pending:
        groups.setdefault(p.key, []).append(p)
    batches: list[list[_Pending]] = []
    for files in groups.values():
        current: list[_Pending] = []
        size = 0
        for p in files:
            if current and size + p.text_bytes > max_bytes:
                batches.append(current)
                current, size = [], 0
            current.append(p)
            size += p.text_bytes
        batches.append(current)
    return batches


def load_landing(
    landing_dir: Path | str,
    duckdb_path: Path | str,
    *,
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE,
    min_rejects_to_fail: int = DEFAULT_MIN_REJECTS_TO_FAIL,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
) -> LoadSummary:
    """Load every new or changed extract file under ``landing_dir`` into ``raw``.

    Args:
        landing_dir: The landing folder (``PZ_LANDING_DIR``).
        duckdb_path: The warehouse file (``PZ_DUCKDB_PATH``); created if missing.
        max_reject_rate: A file with a larger share of rejected rows fails as a whole…
        min_rejects_to_fail: …provided it has at least this many rejected rows.
        batch_bytes: Files of one entity are read together, up to about this much
            uncompressed text at a time.

    Returns:
        What happened to each file, in discovery order. Failed files are listed in
        ``summary.failed``; the caller decides whether that stops the run (the CLI
        exits with status 1).
    """
    landing_dir = Path(landing_dir)
    duckdb_path = Path(duckdb_path)
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    summary = LoadSummary()
    files, summary.ignored = discover(landing_dir) if landing_dir.exists() else ([], [])
    for rel in summary.ignored:
        log.warning("ignoring %s: not a file of the extract contract", rel)
    loaded_at = dt.datetime.now(dt.UTC)
    results: dict[str, FileResult] = {}
    config = {"memory_limit": load_settings().duckdb_memory_limit}
    with duckdb.connect(str(duckdb_path), config=config) as con:
        con.execute("set timezone = 'UTC'; set enable_progress_bar = false")
        ensure_raw_tables(con)
        seen = dict(
            ((file, sha), status)
            for file, sha, status in con.execute(
                "select file, file_sha256, status from raw._loads"
            ).fetchall()
        )
        seen_files = {file for file, _ in seen}

        def fail(f: ExtractFile, sha: str, size: int, message: str) -> None:
            result = FileResult(f.relpath, "failed", error=message)
            con.execute("begin transaction")
            if f.relpath in seen_files:
                # The previous failure of the same content is replaced by this one.
                con.execute(
                    "delete from raw._loads where file = ? and file_sha256 = ?", [f.relpath, sha]
                )
            _record(con, f, sha, size, result, loaded_at)
            con.execute("commit")
            log.error("failed %s: %s", f.relpath, message)
            results[f.relpath] = result

        pending: list[_Pending] = []
        for f in files:
            sha = sha256_file(f.path)
            # A failed file is tried again (and reported again) until it is fixed.
            if seen.get((f.relpath, sha)) == "loaded":
                results[f.relpath] = FileResult(f.relpath, "skipped")
                continue
            size = f.path.stat().st_size
            try:
                if f.extract_date is None:
                    raise FileError(
                        "not in an extract-date folder (<source>/<YYYY-MM-DD>/<entity>.<ext>)"
                    )
                names: list[str] = []
                if f.reader == "csv":
                    names = _csv_header(f.path)
                elif f.reader == "parquet":
                    names = _parquet_columns(con, f.path)
                if names:
                    _match_columns(f.entity, names)
            except FileError as exc:
                fail(f, sha, size, str(exc))
                continue
            pending.append(_Pending(f, sha, size, tuple(names)))

        columns_cache: dict[str, set[str]] = {}
        queue = _batches(pending, batch_bytes)
        while queue:
            batch = queue.pop(0)
            started = time.perf_counter()
            con.execute("begin transaction")
            try:
                batch_results = _load_batch(
                    con, batch, loaded_at, max_reject_rate, min_rejects_to_fail, columns_cache
                )
            except (FileError, duckdb.Error) as exc:
                con.execute("rollback")
                columns_cache.clear()
                if len(batch) > 1:
                    # Tell which file it was: load them one at a time.
                    queue[:0] = [[p] for p in batch]
                else:
                    p = batch[0]
                    fail(p.file, p.sha, p.size, "unreadable: " + str(exc).splitlines()[0])
                continue
            for p, result in zip(batch, batch_results, strict=True):
                if p.file.relpath in seen_files:
                    if result.status == "loaded":
                        # A changed file replaces what its earlier versions loaded.
                        con.execute(
                            f"delete from raw.{p.file.entity.table} "
                            "where _file = ? and _file_sha256 <> ?",
                            [p.file.relpath, p.sha],
                        )
                        con.execute(
                            "delete from raw._rejects where file = ? and file_sha256 <> ?",
                            [p.file.relpath, p.sha],
                        )
                        con.execute("delete from raw._loads where file = ?", [p.file.relpath])
                    else:
                        con.execute(
                            "delete from raw._loads where file = ? and file_sha256 = ?",
                            [p.file.relpath, p.sha],
                        )
                _record(con, p.file, p.sha, p.size, result, loaded_at)
            con.execute("commit")
            elapsed = time.perf_counter() - started
            for p, result in zip(batch, batch_results, strict=True):
                results[p.file.relpath] = result
                if result.status == "loaded":
                    log.info(
                        "loaded %s: %d rows, %d rejected",
                        result.file,
                        result.rows_loaded,
                        result.rows_rejected,
                    )
                else:
                    log.error("failed %s: %s", result.file, result.error)
            log.info(
                "%d %s file(s) in %.2fs",
                len(batch),
                batch[0].file.entity.table.replace("__", "/"),
                elapsed,
            )
        con.execute(
            "drop view if exists _src; drop view if exists _numbered_lines;"
            "drop table if exists _staged; drop table if exists _lines;"
            "drop table if exists _bad; drop table if exists _batch;"
            "drop table if exists _structural; drop table if exists _suspect"
        )
    summary.results = [results[f.relpath] for f in files]
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m warehouse.load``."""
    settings = load_settings()
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--landing-dir", type=Path, default=settings.landing_dir)
    parser.add_argument("--duckdb-path", type=Path, default=settings.duckdb_path)
    parser.add_argument(
        "--max-reject-rate",
        type=float,
        default=DEFAULT_MAX_REJECT_RATE,
        help="fail a file whose share of rejected rows is above this (default 0.05)",
    )
    parser.add_argument(
        "--min-rejects-to-fail",
        type=int,
        default=DEFAULT_MIN_REJECTS_TO_FAIL,
        help="the reject rate fails a file only with at least this many rejects (default 10)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    summary = load_landing(
        args.landing_dir,
        args.duckdb_path,
        max_reject_rate=args.max_reject_rate,
        min_rejects_to_fail=args.min_rejects_to_fail,
    )
    rows = sum(r.rows_loaded for r in summary.loaded)
    rejected = sum(r.rows_rejected for r in summary.loaded)
    print(
        f"{len(summary.loaded)} files loaded ({rows} rows, {rejected} rejected), "
        f"{len(summary.skipped)} unchanged, {len(summary.failed)} failed, "
        f"{len(summary.ignored)} ignored"
    )
    for r in summary.failed:
        print(f"FAILED {r.file}: {r.error}", file=sys.stderr)
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
