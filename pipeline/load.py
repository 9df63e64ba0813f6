"""The first step on the data: load the new extracts into ``raw``, then check they cover the night.

A night with no extracts at all, with no order on or before its run date, or with a run
date after the last delivery would build empty or near-empty audiences without a word;
each fails here at once with what to do instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from pipeline.errors import DataError
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

#: Set to 1 to run a date after the last delivery (as the DAG's ``allow_future`` param).
ALLOW_FUTURE_ENV = "PZ_ALLOW_FUTURE"


def allowed_future_from_env(env: dict[str, str] | None = None) -> bool:
    """Whether ``PZ_ALLOW_FUTURE`` allows a run date after the last delivery."""
    value = (os.environ if env is None else env).get(ALLOW_FUTURE_ENV, "")
    return value.strip().lower() in ("1", "true", "yes")


def deliveries(settings: Settings) -> tuple[dt.date | None, dt.date | None, dt.datetime | None]:
    """The first and last extract dates loaded and the first order's time, from ``raw``."""
    from warehouse import db

    with db.connect(settings.duckdb_path, read_only=True) as con:
        first, last = con.execute(
            "select min(extract_date), max(extract_date) from raw._loads where status = 'loaded'"
        ).fetchone()
        (first_order,) = con.execute("select min(order_ts) from raw.shop__orders").fetchone()
    return first, last, first_order


def check_coverage(
    run_date: str,
    first: dt.date | None,
    last: dt.date | None,
    first_order: dt.datetime | None,
    *,
    landing_dir: str,
    allow_future: bool,
) -> None:
    """Fail when the loaded deliveries cannot make the night of ``run_date``.

    Args:
        run_date: The run date, ``YYYY-MM-DD``.
        first: The earliest extract date loaded (None: nothing was ever loaded).
        last: The latest extract date loaded.
        first_order: The time of the earliest order in ``raw`` (None: no order).
        landing_dir: The landing folder, named in the messages.
        allow_future: Run a date after the last delivery all the same.

    Raises:
        DataError: No extracts, no order on or before the run date, or a run date
            after the last delivery that was not allowed; one line saying what to do.
    """
    day = dt.date.fromisoformat(run_date)
    if first is None or last is None:
        raise DataError(
            f"no extracts have been loaded: put them in {landing_dir}/<source>/<YYYY-MM-DD>/"
            "<entity>.<ext> (or run `make demo` for sample data), then run again"
        )
    if first_order is None or first_order.date() > day:
        seen = f"the first order is on {first_order.date()}" if first_order else "no order"
        raise DataError(
            f"nothing to do for run date {run_date}: {seen} in the extracts delivered "
            f"{first} to {last}; choose a run date on or after the first order"
        )
    if day > last and not allow_future:
        raise DataError(
            f"run date {run_date} is after the last delivery ({last}): the audiences would "
            f"miss {(day - last).days} day(s); deliver the extracts first, or allow it with "
            f"the allow_future param, --allow-future or {ALLOW_FUTURE_ENV}=1"
        )


def load_extracts(
    run: dict[str, Any] | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """Load every new or changed extract into ``raw``; fail if any file failed.

    Args:
        run: The resolved run (``run_date``, ``allow_future``); when given, the loaded
            deliveries must cover its run date (see :func:`check_coverage`).
        settings: Where the landing folder and the warehouse are.

    Returns:
        Counts of files loaded, skipped (unchanged) and ignored, and rows loaded; with
        ``run``, also ``last_delivery`` (the latest extract date loaded).

    Raises:
        DataError: A file could not be loaded (the others are loaded and recorded), or
            the deliveries do not cover the run date.
    """
    from warehouse.load import load_landing

    settings = settings or load_settings()
    summary = load_landing(settings.landing_dir, settings.duckdb_path)
    counts = {
        "files_loaded": len(summary.loaded),
        "files_unchanged": len(summary.skipped),
        "files_ignored": len(summary.ignored),
        "rows_loaded": sum(r.rows_loaded for r in summary.loaded),
        "rows_rejected": sum(r.rows_rejected for r in summary.loaded),
        "rows_of_erased_people_dropped": sum(summary.erased_rows.values()),
    }
    log.info("load: %s", counts)
    if summary.failed:
        lines = "\n".join(f"  {r.file}: {r.error}" for r in summary.failed)
        raise DataError(f"{len(summary.failed)} extract files failed to load:\n{lines}")
    if run is not None:
        first, last, first_order = deliveries(settings)
        check_coverage(
            run["run_date"],
            first,
            last,
            first_order,
            landing_dir=str(settings.landing_dir),
            allow_future=bool(run.get("allow_future")) or allowed_future_from_env(),
        )
        counts["last_delivery"] = last.isoformat()
    return counts
