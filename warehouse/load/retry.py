"""Run batches in transactions; a batch that meets an unreadable file is split.

One unreadable file must not fail the files it was read with: a batch that raises is
rolled back and its files are queued again one at a time, so only the file that
cannot be read fails. A CSV file that DuckDB's reader cannot parse at all (mixed line
ends, a bare carriage return) gets one more try, read carefully record by record.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import duckdb

from warehouse.load.batching import Pending
from warehouse.load.errors import FileError
from warehouse.load.results import FileResult


def run_batches(
    con: duckdb.DuckDBPyConnection,
    batches: list[list[Pending]],
    load: Callable[[list[Pending]], list[FileResult]],
    fail: Callable[[Pending, str], None],
    done: Callable[[list[Pending], list[FileResult], float], None],
) -> None:
    """Load each batch in its own transaction, retrying a failed batch file by file.

    Args:
        con: The warehouse connection.
        batches: The batches, in the order to load them.
        load: Stages, validates and writes one batch (ledger rows included) inside the
            open transaction; returns one result per file.
        fail: Records a single file that could not be read, with the reason.
        done: Called after a batch committed, with its results and the seconds it took.
    """
    queue = list(batches)
    while queue:
        batch = queue.pop(0)
        started = time.perf_counter()
        con.execute("begin transaction")
        try:
            results = load(batch)
        except (FileError, duckdb.Error) as exc:
            con.execute("rollback")
            if len(batch) > 1:
                queue[:0] = [[p] for p in batch]
            elif batch[0].file.reader == "csv" and not batch[0].careful:
                p = batch[0]
                note = f"read record by record: the fast reader failed ({_first_line(exc)})"
                queue.insert(
                    0, [dataclasses.replace(p, careful=True, warnings=(*p.warnings, note))]
                )
            elif isinstance(exc, FileError):
                fail(batch[0], str(exc))
            else:
                fail(batch[0], "unreadable: " + _first_line(exc))
            continue
        con.execute("commit")
        done(batch, results, time.perf_counter() - started)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
