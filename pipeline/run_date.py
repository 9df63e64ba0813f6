"""The run-date rule: which day a night covers. Defined here and nowhere else.

A run covers ``run_date``, the last complete day. It is, in this order:

1. the date requested (the DAG's ``run_date`` param, ``make run RUN_DATE=…``);
2. for a run of an Airflow backfill (``airflow backfill create --from-date D1
   --to-date D2``), the day of the run's logical date in UTC, so a backfill of a range
   covers each date of the range once, the same dates ``make backfill FROM=D1 TO=D2``
   covers;
3. otherwise (a scheduled or a manual run) the day before the run was due (Airflow's
   ``run_after``), in UTC: the night of 1 April covers 31 March.

dbt gets it as ``--vars '{run_date: …}'`` and has no default of its own.
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


#: Airflow's ``DagRunType`` value of a run created by a backfill.
BACKFILL_RUN_TYPE = "backfill"


def _utc_day(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date().isoformat()


def resolve_run(request: dict[str, object]) -> dict[str, str]:
    """The first step of a night: resolve the run date once for every later step.

    Args:
        request: ``run_date`` (the requested date; empty or None for the default),
            ``run_after`` (a datetime: when the run was due) and, from Airflow,
            ``run_type`` and ``logical_date``: a backfill's run without a requested
            date covers its logical date's day.

    Returns:
        ``run_date``, ``generated_at`` (the run's ``run_after``, which the export
        manifest records: a time taken from the run, not from the clock) and
        ``accept_volume_change`` (the request's, default false: see pipeline.guards)
        and ``allow_future`` (the request's, default false: a run date after the last
        delivery is refused unless allowed, see pipeline.load) and ``retrain`` (the
        request's, default false: train every model tonight whatever its cadence, see
        pipeline.models).
    """
    run_after = request["run_after"]
    if not isinstance(run_after, dt.datetime):
        raise TypeError(f"run_after must be a datetime, got {run_after!r}")
    requested = request.get("run_date")
    logical_date = request.get("logical_date")
    is_backfill = str(request.get("run_type") or "") == BACKFILL_RUN_TYPE
    if not (requested and str(requested).strip()) and is_backfill:
        if not isinstance(logical_date, dt.datetime):
            raise TypeError(f"a backfill run needs its logical date, got {logical_date!r}")
        run_date = _utc_day(logical_date)
    else:
        run_date = resolve_run_date(str(requested) if requested else None, run_after)
    return {
        "run_date": run_date,
        "generated_at": run_after.isoformat(),
        "accept_volume_change": bool(request.get("accept_volume_change")),
        "allow_future": bool(request.get("allow_future")),
        "retrain": bool(request.get("retrain")),
    }
