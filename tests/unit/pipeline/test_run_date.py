"""The run-date rule: a requested date, strictly validated, else the day before run_after."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.run_date import parse_run_date, resolve_run, resolve_run_date

RUN_AFTER = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)


def test_defaults_to_the_day_before_run_after_in_utc() -> None:
    assert resolve_run_date("", RUN_AFTER) == "2026-03-31"
    assert resolve_run_date(None, RUN_AFTER) == "2026-03-31"
    late = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert resolve_run_date("", late) == "2026-03-30"  # 20:00 UTC on 31 March
    assert resolve_run_date("  ", dt.datetime(2026, 1, 1)) == "2025-12-31"


def test_a_requested_date_wins() -> None:
    assert resolve_run_date(" 2026-02-28 ", RUN_AFTER) == "2026-02-28"
    assert resolve_run_date("2019-07-04", RUN_AFTER) == "2019-07-04"


@pytest.mark.parametrize("bad", ["20260331", "2026/03/31", "31-03-2026", "2026-02-30", "2026-3-1"])
def test_anything_but_a_real_yyyy_mm_dd_is_rejected_naming_the_value(bad: str) -> None:
    with pytest.raises(ValueError) as failed:
        parse_run_date(bad)
    message = str(failed.value)
    assert repr(bad) in message and "\n" not in message
    with pytest.raises(ValueError):
        resolve_run_date(bad, RUN_AFTER)


def test_resolve_run_gives_the_date_and_the_run_time_for_the_manifest() -> None:
    assert resolve_run({"run_date": "", "run_after": RUN_AFTER}) == {
        "run_date": "2026-03-31",
        "generated_at": "2026-04-01T03:00:00+00:00",
        "accept_volume_change": False,
        "allow_future": False,
        "retrain": False,
    }
    asked = resolve_run(
        {"run_date": "2026-01-15", "accept_volume_change": True, "run_after": RUN_AFTER}
    )
    assert (asked["run_date"], asked["accept_volume_change"]) == ("2026-01-15", True)


def test_a_backfill_run_covers_its_logical_date_s_day() -> None:
    """Regression: a backfill of 30-31 March published 29 and 30 March (the day before)."""
    for day in (30, 31):
        logical = dt.datetime(2026, 3, day, 3, 0, tzinfo=dt.UTC)
        request = {"run_after": logical, "run_type": "backfill", "logical_date": logical}
        run = resolve_run({"run_date": None, **request})
        assert run["run_date"] == f"2026-03-{day}"
    request = {"run_after": RUN_AFTER, "run_type": "scheduled", "logical_date": RUN_AFTER}
    scheduled = resolve_run({"run_date": None, **request})
    assert scheduled["run_date"] == "2026-03-31"


def test_a_requested_date_wins_over_a_backfill_s_logical_date() -> None:
    logical = dt.datetime(2026, 3, 30, 3, 0, tzinfo=dt.UTC)
    run = resolve_run(
        {
            "run_date": "2026-01-02",
            "run_after": logical,
            "run_type": "backfill",
            "logical_date": logical,
            "allow_future": True,
        }
    )
    assert (run["run_date"], run["allow_future"]) == ("2026-01-02", True)


def test_a_backfill_run_without_a_logical_date_is_an_error() -> None:
    with pytest.raises(TypeError, match="logical date"):
        resolve_run({"run_after": RUN_AFTER, "run_type": "backfill", "logical_date": None})


def test_retrain_travels_from_the_request_to_the_night() -> None:
    assert resolve_run({"run_after": RUN_AFTER})["retrain"] is False
    assert resolve_run({"run_after": RUN_AFTER, "retrain": True})["retrain"] is True
