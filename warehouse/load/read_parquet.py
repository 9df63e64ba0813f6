"""The Parquet reader: DuckDB's ``read_parquet`` over files with one schema."""

from __future__ import annotations

import duckdb

from warehouse.load.batching import Pending
from warehouse.load.columns import extra_column_name, match_columns
from warehouse.load.sql import paths_list, quote


def stage_parquet(
    con: duckdb.DuckDBPyConnection, batch: list[Pending], names: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Read Parquet files with one schema into ``_src`` with their row numbers.

    Every value is staged as text, so the contract rules treat all readers alike;
    ``_structural`` is empty (a Parquet row always has its columns).

    Returns:
        Contract column -> delivered name, and the extra delivered names.
    """
    mapping, extras = match_columns(batch[0].file.entity, names)
    taken = {name.lower() for name in extras}
    selected = [f"{quote(d)}::varchar as {quote(c)}" for c, d in mapping.items()] + [
        f"{quote(n)}::varchar as {quote(extra_column_name(n, taken))}" for n in extras
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
        from read_parquet({paths_list([p.file.path for p in batch])}, file_row_number=true)
        """
    )
    con.execute("create or replace temp view _src as select * from _staged")
    return mapping, extras
