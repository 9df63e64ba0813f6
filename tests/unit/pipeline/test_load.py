"""The load step's coverage check: a night the deliveries cannot make fails at once, saying why."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.errors import DataError
from pipeline.load import allowed_future_from_env, check_coverage

FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
FIRST_ORDER = dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.UTC)


def check(run_date: str, *, first=FIRST, last=LAST, first_order=FIRST_ORDER, allow=False) -> None:
    check_coverage(run_date, first, last, first_order, landing_dir="/land", allow_future=allow)


def test_a_run_date_the_deliveries_cover_passes() -> None:
    check("2026-03-31")
    check("2026-01-01")


def test_no_extracts_at_all_says_where_to_put_them() -> None:
    """Regression: with no extracts dbt passed on empty tables and the models retried."""
    with pytest.raises(DataError, match=r"no extracts have been loaded: put them in /land/"):
        check("2026-03-31", first=None, last=None, first_order=None)


def test_a_run_date_before_the_first_order_has_nothing_to_do() -> None:
    with pytest.raises(DataError, match="the first order is on 2026-01-01"):
        check("2025-12-31")
    with pytest.raises(DataError, match="no order"):
        check("2026-03-31", first_order=None)


def test_a_run_date_after_the_last_delivery_is_refused_unless_allowed() -> None:
    """Regression: a run date after the last delivery built near-empty audiences silently."""
    with pytest.raises(DataError, match=r"after the last delivery \(2026-03-31\).*1 day") as failed:
        check("2026-04-01")
    assert "--allow-future" in str(failed.value) and "\n" not in str(failed.value)
    check("2026-04-01", allow=True)


def test_the_environment_can_allow_a_future_run_date() -> None:
    assert allowed_future_from_env({"PZ_ALLOW_FUTURE": "1"})
    assert not allowed_future_from_env({"PZ_ALLOW_FUTURE": "0"})
    assert not allowed_future_from_env({})
