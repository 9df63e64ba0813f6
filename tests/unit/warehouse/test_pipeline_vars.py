"""The dbt vars Python reads come from the one-row model dbt builds from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from warehouse.db import read_pipeline_vars


def test_reads_the_one_row_typed(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.pipeline_vars as "
            "select date '2026-03-31' as run_date, 3 as email_frequency_cap, 0.25 as holdout_share"
        )
    assert read_pipeline_vars(db) == {
        "run_date": dt.date(2026, 3, 31),
        "email_frequency_cap": 3,
        "holdout_share": pytest.approx(0.25),
    }


def test_anything_but_one_row_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.pipeline_vars (run_date date, email_frequency_cap int)")
    with pytest.raises(LookupError, match="0 rows"):
        read_pipeline_vars(db)
