"""Volume guards between the steps of a night, on a real DuckDB file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import DataError
from pipeline.guards import Finding, check_volumes, guard_volumes

DAY = dt.date(2026, 3, 30)


def test_an_empty_required_mart_fails() -> None:
    findings = check_volumes({"marts.fct_orders": 0, "marts.dim_customers": 5}, {}, None)
    assert findings == [Finding("marts.fct_orders", 0, None, None)]
    assert findings[0].message() == "marts.fct_orders is empty"


def test_a_shrink_beyond_the_share_fails_and_one_within_it_passes() -> None:
    previous = {"audiences.aud_vip": 1000, "audiences.aud_win_back": 1000}
    current = {"audiences.aud_vip": 499, "audiences.aud_win_back": 500}
    findings = check_volumes(current, previous, DAY, required=(), max_shrink=0.5)
    assert [f.relation for f in findings] == ["audiences.aud_vip"]
    assert "50% fewer than the 1,000 of 2026-03-30" in findings[0].message()


def test_small_tables_and_new_tables_are_not_compared() -> None:
    previous = {"audiences.aud_vip": 40}
    current = {"audiences.aud_vip": 1, "audiences.aud_new": 0}
    assert check_volumes(current, previous, DAY, required=(), min_rows=100) == []


def _warehouse(path: Path, orders: int, customers: int = 500) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.dim_customers as select range as id from range(?)",
            [customers],
        )
        con.execute(
            "create or replace table marts.fct_orders as select range as id from range(?)", [orders]
        )


def test_guard_records_each_night_and_stops_a_collapse(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    _warehouse(db, orders=1000)
    assert guard_volumes("marts", "2026-03-30", path=db)["marts.fct_orders"] == 1000
    _warehouse(db, orders=200)
    with pytest.raises(DataError, match=r"marts.fct_orders has 200 rows, 80% fewer"):
        guard_volumes("marts", "2026-03-31", accept_change=False, path=db)
    # Nothing was recorded for the failed night; accepting it records it.
    assert (
        guard_volumes("marts", "2026-03-31", accept_change=True, path=db)["marts.fct_orders"] == 200
    )
    with duckdb.connect(str(db), read_only=True) as con:
        nights = con.execute(
            "select run_date, row_count from audit.relation_volumes "
            "where relation = 'marts.fct_orders' order by run_date"
        ).fetchall()
    assert nights == [(dt.date(2026, 3, 30), 1000), (dt.date(2026, 3, 31), 200)]


def test_accepting_a_change_never_accepts_an_empty_required_mart(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    _warehouse(db, orders=0)
    with pytest.raises(DataError, match="marts.fct_orders is empty"):
        guard_volumes("marts", "2026-03-31", accept_change=True, path=db)


def test_a_backfill_compares_with_the_night_before_it(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    _warehouse(db, orders=1000)
    guard_volumes("marts", "2026-03-31", path=db)
    _warehouse(db, orders=300)
    # 2026-03-01 has no earlier night: nothing to compare with, so it passes.
    assert (
        guard_volumes("marts", "2026-03-01", accept_change=False, path=db)["marts.fct_orders"]
        == 300
    )


def test_an_audience_emptied_by_a_skipped_model_is_explained(tmp_path: Path) -> None:
    """Regression guard: a model skipped or stopped by its quality gate empties its
    audiences on purpose; the shrink guard must not fail the night for it."""
    from pipeline.guards import emptied_by_skipped_models
    from warehouse.audiences import Audience

    db = tmp_path / "warehouse.duckdb"
    audiences = [
        Audience("high_churn_risk", "", "email", 1, "true", "'x'", ("person_id",), ("churn",)),
        Audience("vip", "", "email", 2, "true", "'x'", ("person_id",)),
    ]
    with duckdb.connect(str(db)) as con:
        con.execute("create schema ml")
        con.execute("create table ml.model_skips (run_date date, model varchar, reason varchar)")
        con.execute("insert into ml.model_skips values ('2026-03-31', 'churn', 'quality gate')")
    assert emptied_by_skipped_models(dt.date(2026, 3, 30), db, audiences) == {}
    assert emptied_by_skipped_models(dt.date(2026, 3, 31), db, audiences) == {
        "audiences.aud_high_churn_risk": "needs churn, skipped tonight"
    }
