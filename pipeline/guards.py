"""Volume guards: a night that would publish from empty or collapsed tables stops first.

dbt's tests check rows one by one; they pass on an empty table. These guards look at
whole tables between the steps of a night: after the marts are built, and after the
audiences are built, before anything is exported.

* A mart a night cannot do without (the customer 360, the orders, RFM, the features,
  the products) must not be empty.
* No mart or audience may shrink by more than ``max_shrink`` (default 50%) against the
  previous night recorded before this run date, unless the run is told to accept it
  (``PZ_ACCEPT_VOLUME_CHANGE=1``, or the DAG's ``accept_volume_change`` param). Tables
  that had fewer than ``min_rows`` rows are not compared: small audiences move a lot.

An audience that needs a model the night skipped (``ml.model_skips``: too short a
history, or below its quality gate) is published empty on purpose; its shrink is
logged, not blocking.

Row counts of every night that passed (or was accepted) are kept in
``audit.relation_volumes`` (run_date, relation, row_count), so a later night compares
against them. Re-running a date replaces its counts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from pipeline.errors import DataError
from warehouse import db

if TYPE_CHECKING:
    from warehouse.audiences import Audience

log = logging.getLogger(__name__)

#: Marts that a night cannot publish without.
MUST_NOT_BE_EMPTY = (
    "marts.dim_customers",
    "marts.dim_products",
    "marts.fct_orders",
    "marts.customer_rfm",
    "marts.customer_features",
)
VOLUMES_TABLE = "audit.relation_volumes"
DEFAULT_MAX_SHRINK = 0.5
DEFAULT_MIN_ROWS = 100
#: The schemas each phase watches.
PHASE_SCHEMAS = {"marts": ("marts",), "audiences": ("audiences",)}


@dataclass(frozen=True)
class Finding:
    """One guard that failed."""

    relation: str
    rows: int
    previous_rows: int | None
    previous_run_date: dt.date | None

    def message(self) -> str:
        """One line a data engineer can act on."""
        if self.previous_rows is None:
            return f"{self.relation} is empty"
        share = 1 - self.rows / self.previous_rows
        return (
            f"{self.relation} has {self.rows:,} rows, {share:.0%} fewer than the "
            f"{self.previous_rows:,} of {self.previous_run_date}"
        )


def check_volumes(
    current: dict[str, int],
    previous: dict[str, int],
    previous_run_date: dt.date | None,
    required: Iterable[str] = MUST_NOT_BE_EMPTY,
    max_shrink: float = DEFAULT_MAX_SHRINK,
    min_rows: int = DEFAULT_MIN_ROWS,
) -> list[Finding]:
    """The guards that fail for tonight's row counts against the previous night's.

    Args:
        current: Rows per relation tonight.
        previous: Rows per relation of the previous recorded night (empty if none).
        previous_run_date: That night's run date.
        required: Relations that must not be empty (those present in ``current``).
        max_shrink: Largest share of rows a relation may lose from one night to the next.
        min_rows: Relations with fewer rows the previous night are not compared.

    Returns:
        The failed guards, empty tables first, in relation order.
    """
    empty = [Finding(name, 0, None, None) for name in sorted(required) if current.get(name, 1) == 0]
    shrunk = [
        Finding(name, rows, previous[name], previous_run_date)
        for name, rows in sorted(current.items())
        if previous.get(name, 0) >= min_rows and rows < (1 - max_shrink) * previous[name]
    ]
    return empty + shrunk


def _count_rows(schemas: tuple[str, ...], path: Path | None) -> dict[str, int]:
    listed = ", ".join("?" for _ in schemas)
    with db.connect(path, read_only=True) as con:
        tables = con.execute(
            f"select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({listed}) and table_type = 'BASE TABLE' "
            f"order by 1, 2",
            list(schemas),
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[
                0
            ][0]
            for schema, name in tables
        }


def _previous(run_date: dt.date, relations: Iterable[str], path: Path | None) -> tuple:
    with db.connect(path, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'audit' and table_name = 'relation_volumes'"
        ).fetchall()[0][0]
        if not exists:
            return {}, None
        [(last,)] = con.execute(
            f"select max(run_date) from {VOLUMES_TABLE} where run_date < ?", [run_date]
        ).fetchall()
        if last is None:
            return {}, None
        rows = con.execute(
            f"select relation, row_count from {VOLUMES_TABLE} where run_date = ?", [last]
        ).fetchall()
    wanted = set(relations)
    return {name: count for name, count in rows if name in wanted}, last


def _record(run_date: dt.date, counts: dict[str, int], schemas: tuple[str, ...], path) -> None:
    with db.connect(path) as con:
        con.execute("create schema if not exists audit")
        con.execute(
            f"create table if not exists {VOLUMES_TABLE} "
            "(run_date date, relation varchar, row_count bigint)"
        )
        con.execute("begin transaction")
        for schema in schemas:
            con.execute(
                f"delete from {VOLUMES_TABLE} where run_date = ? and relation like ?",
                [run_date, f"{schema}.%"],
            )
        rows = pa.table(
            {
                "run_date": pa.array([run_date] * len(counts), pa.date32()),
                "relation": pa.array(list(counts), pa.string()),
                "row_count": pa.array(list(counts.values()), pa.int64()),
            }
        )
        con.register("_volumes", rows)
        con.execute(f"insert into {VOLUMES_TABLE} select * from _volumes")
        con.execute("commit")


def accepted_from_env(env: dict[str, str] | None = None) -> bool:
    """Whether ``PZ_ACCEPT_VOLUME_CHANGE`` tells this run to accept a shrink."""
    value = (os.environ if env is None else env).get("PZ_ACCEPT_VOLUME_CHANGE", "")
    return value.strip().lower() in {"1", "true", "yes"}


def guard_volumes(
    phase: str,
    run_date: str,
    accept_change: bool | None = None,
    path: Path | None = None,
    max_shrink: float | None = None,
) -> dict[str, int]:
    """Check the row counts of a phase's tables and record them for the next night.

    Args:
        phase: ``marts`` or ``audiences``.
        run_date: The night's run date.
        accept_change: Accept shrinking tables (empty required marts still fail);
            default: ``PZ_ACCEPT_VOLUME_CHANGE``.
        path: The warehouse file (default: the configured one).
        max_shrink: Largest share a table may lose (default ``PZ_MAX_SHRINK``, else 0.5).

    Returns:
        Rows per relation of the phase.

    Raises:
        DataError: A required mart is empty, or a table shrank too much and the run
            was not told to accept it. Nothing is recorded then.
    """
    day = dt.date.fromisoformat(run_date)
    schemas = PHASE_SCHEMAS[phase]
    counts = _count_rows(schemas, path)
    previous, previous_date = _previous(day, counts, path)
    share = max_shrink
    if share is None:
        share = float(os.environ.get("PZ_MAX_SHRINK") or DEFAULT_MAX_SHRINK)
    findings = check_volumes(counts, previous, previous_date, max_shrink=share)
    if phase == "audiences":
        explained = emptied_by_skipped_models(day, path)
        for finding in (f for f in findings if f.relation in explained):
            log.warning("%s (%s)", finding.message(), explained[finding.relation])
        findings = [f for f in findings if f.relation not in explained]
    accept = accepted_from_env() if accept_change is None else accept_change
    blocking = [f for f in findings if f.previous_rows is None or not accept]
    if blocking:
        lines = "\n".join(f"  {f.message()}" for f in blocking)
        hint = (
            ""
            if all(f.previous_rows is None for f in blocking)
            else "\nIf the change is expected, re-run with PZ_ACCEPT_VOLUME_CHANGE=1 "
            "(or the DAG param accept_volume_change)."
        )
        raise DataError(f"volume guards failed for {phase} on {run_date}:\n{lines}{hint}")
    _record(day, counts, schemas, path)
    return counts


def emptied_by_skipped_models(
    run_date: dt.date, path: Path | None = None, audiences: Iterable[Audience] | None = None
) -> dict[str, str]:
    """The audience tables left empty tonight because a model they need was skipped.

    Args:
        run_date: The night.
        path: The warehouse file (default: the configured one).
        audiences: The declared audiences (default: dbt's manifest's).

    Returns:
        ``audiences.aud_<name>`` -> which model was skipped, for the log.
    """
    with db.connect(path, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'ml' and table_name = 'model_skips'"
        ).fetchall()[0][0]
        rows = (
            con.execute(
                "select model from ml.model_skips where run_date = ?", [run_date]
            ).fetchall()
            if exists
            else []
        )
    skipped = {model for (model,) in rows}
    if not skipped:
        return {}
    if audiences is None:
        from warehouse.audiences import load_audiences

        audiences = load_audiences()
    return {
        f"audiences.{audience.model}": "needs "
        + ", ".join(sorted(skipped & set(audience.needs_models)))
        + ", skipped tonight"
        for audience in audiences
        if skipped & set(audience.needs_models)
    }
