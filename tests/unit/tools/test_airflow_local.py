"""make run: any valid run date, and a night that did nothing is a failure that says why."""

from __future__ import annotations

import pytest

from tools.airflow_local import did_nothing, main


def test_a_night_that_ran_and_published_did_something() -> None:
    assert did_nothing("2019-06-30", ["success", "success"], None, 1) is None
    assert did_nothing("2019-06-30", ["success"], 1, 2) is None


def test_no_task_ran() -> None:
    assert did_nothing("2019-06-30", [], None, None) == (
        "the DAG run for 2019-06-30 ran no task (no task instance at all)"
    )
    reason = did_nothing("2019-06-30", ["scheduled", "removed"], None, None)
    assert reason == "the DAG run for 2019-06-30 ran no task (removed, scheduled)"


def test_nothing_published_for_the_date() -> None:
    expected = (
        "the DAG run for 2019-06-30 published nothing: no new exports/2019-06-30/manifest.json"
    )
    assert did_nothing("2019-06-30", ["success"], None, None) == expected
    assert did_nothing("2019-06-30", ["success"], 5, 5) == expected


@pytest.mark.parametrize("bad", ["20190630", "2019/06/30", "30-06-2019", "2019-02-30"])
def test_make_run_refuses_a_malformed_date_naming_it(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--run-date", bad])
    assert exited.value.code == 2
    assert repr(bad) in capsys.readouterr().err


def test_a_backfill_covers_every_date_of_its_range_in_order() -> None:
    from tools.airflow_local import backfill_dates

    assert backfill_dates("2024-02-28", "2024-03-01") == ["2024-02-28", "2024-02-29", "2024-03-01"]
    assert backfill_dates("2024-03-01", "2024-03-01") == ["2024-03-01"]
    with pytest.raises(ValueError, match="before --from"):
        backfill_dates("2024-03-02", "2024-03-01")


def test_a_backfill_range_is_validated_like_a_run_date(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["backfill", "--from", "2024-03-01", "--to", "2024/03/05"])
    assert stop.value.code == 2
    assert "2024/03/05" in capsys.readouterr().err
