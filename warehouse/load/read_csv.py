"""The CSV reader: DuckDB's ``read_csv`` over a batch of files with one header."""

from __future__ import annotations

import duckdb

from warehouse.load import csv_records
from warehouse.load.batching import Pending
from warehouse.load.columns import extra_column_name, match_columns
from warehouse.load.sql import literal, paths_list, quote

#: The longest record the readers take (a 10 MB JSON document in one field is valid
#: data); DuckDB's default is 2 MB.
MAX_RECORD_BYTES = 64 << 20


def stage_csv(
    con: duckdb.DuckDBPyConnection, batch: list[Pending], names: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Read CSV files with one header, all VARCHAR, into ``_src``; quarantine bad records.

    ``_src`` holds ``_file_index`` (position in ``batch``), ``_row_number`` (the record's
    number in its file) and one column per delivered name, renamed to the contract's.
    Records the reader could not split go to ``_structural``. Every file's records are
    then checked against its physical lines (:mod:`warehouse.load.csv_records`), which
    also fills ``_line_map`` where a record's line is not its number plus one.

    Returns:
        Contract column -> delivered name, and the extra delivered names.
    """
    ent = batch[0].file.entity
    mapping, extras = match_columns(ent, names)
    columns = ", ".join(f"{literal(f'c{i}')}: 'VARCHAR'" for i in range(len(names)))
    con.execute("drop table if exists _csv_rejects; drop table if exists _csv_scans")
    # One scan over all the batch's files. Rows are stored in the order read (file by
    # file, record by record), so a row's id less its file's first id numbers the
    # file's valid records.
    scan = f"""
        select file_index::integer as _file_index, *
        from read_csv({paths_list([p.file.path for p in batch])}, columns={{{columns}}},
            header=true, auto_detect=false, delim=',', quote='"', escape='"', parallel=false,
            max_line_size={MAX_RECORD_BYTES},
            store_rejects=true, rejects_table='_csv_rejects', rejects_scan='_csv_scans')
        """
    careful = len(batch) == 1 and batch[0].careful
    paths = [p.file.path for p in batch]
    if not careful:
        lines = csv_records.counting_lines(
            paths, lambda: con.execute(f"create or replace temp table _read as {scan}")
        )
    else:
        lines = [csv_records.physical_lines(path) for path in paths]
        # DuckDB could not parse this file at all: it is re-read record by record below
        # (a file that cannot even be decompressed still fails there).
        nulls = ", ".join(f"null::varchar as c{i}" for i in range(len(names)))
        con.execute(
            f"create or replace temp table _read as select 0 as _file_index, {nulls} limit 0"
        )
        con.execute(
            "create or replace temp table _csv_rejects as select 0 as scan_id, 0 as file_id, "
            "0 as line, ''::varchar as error_type, ''::varchar as csv_line limit 0; "
            "create or replace temp table _csv_scans as select 0 as scan_id, 0 as file_id, "
            "''::varchar as file_path limit 0"
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
    taken = {name.lower() for name in extras}
    selected = [f"c{position[d]} as {quote(col)}" for col, d in mapping.items()] + [
        f"c{position[n]} as {quote(extra_column_name(n, taken))}" for n in extras
    ]
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
    staged = [quote(col) for col in mapping] + [quote(extra_column_name(n, taken)) for n in extras]
    csv_records.account(con, paths, len(names), staged, selected, lines, careful)
    con.execute("create or replace temp view _src as select * from _staged")
    return mapping, extras
