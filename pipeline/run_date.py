"""The run-date rule: which day a night covers. Defined here and nowhere else.

A run covers ``run_date``, the last complete day. It is the date requested (the DAG's
``run_date`` param, ``make run RUN_DATE=…``), or else the day before the run was due
(Airflow's ``run_after``), in UTC. dbt gets it as ``--vars '{run_date: …}'`` and has
no default of its own.
"""

from __future__ import annotations

import datetime as dt
import re

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_run_date(value: str) -> str:
    """Validate a requested run date.

    Only ``YYYY-MM-DD`` naming a real calendar day is accepted (``20260331``,
    ``2026/03/31``, ``31-03-2026`` and ``2026-02-30`` are not); surrounding blanks are
    ignored.

    Args:
        value: The requested date.

    Returns:
        The date as ``YYYY-MM-DD``.

    Raises:
        ValueError: The value is not such a date; the message names it.
    """
    text = value.strip()
    if not _ISO_DATE.match(text):
        raise ValueError(f"run date {value!r} is not in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"run date {value!r} is not a calendar date") from None


def resolve_run_date(requested: str | None, run_after: dt.datetime) -> str:
    """The run date: the requested one, or the day before the run's ``run_after`` (UTC).

    Args:
        requested: ``YYYY-MM-DD``; empty or None for the scheduled default.
        run_after: When the run was due (Airflow's ``dag_run.run_after``); a naive
            value is taken as UTC.

    Returns:
        The run date as ``YYYY-MM-DD``.

    Raises:
        ValueError: ``requested`` is given but is not a valid date.
    """
    if requested and requested.strip():
        return parse_run_date(requested)
    if run_after.tzinfo is not None:
        run_after = run_after.astimezone(dt.UTC)
    return (run_after.date() - dt.timedelta(days=1)).isoformat()


def resolve_run(request: dict[str, object]) -> dict[str, str]:
    """The first step of a night: resolve the run date once for every later step.

    Args:
        request: ``run_date`` (the requested date, may be empty) and ``run_after``
            (a datetime: when the run was due).

    Returns:
        ``run_date``, ``generated_at`` (the run's ``run_after``, which the export
        manifest records: a time taken from the run, not from the clock) and
        ``accept_volume_change`` (the request's, default false: see pipeline.guards).
    """
    run_after = request["run_after"]
    if not isinstance(run_after, dt.datetime):
        raise TypeError(f"run_after must be a datetime, got {run_after!r}")
    requested = request.get("run_date")
    run_date = resolve_run_date(str(requested) if requested else None, run_after)
    return {
        "run_date": run_date,
        "generated_at": run_after.isoformat(),
        "accept_volume_change": bool(request.get("accept_volume_change")),
    }
