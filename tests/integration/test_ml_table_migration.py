"""A warehouse from before model_version: the next dbt build adds it and keeps the history.

ml.customer_segments and ml.recommendations gained ``model_version``. Their dbt models
are incremental with ``on_schema_change: append_new_columns``, so a real ``dbt run``
on an existing warehouse adds the column (null on the rows already there) instead of
failing or rebuilding the table, and the models then write their version into it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from tests.integration.conftest import dbt
from warehouse import db

pytestmark = pytest.mark.integration

OLD_NIGHT = dt.date(2026, 1, 1)
NEW_NIGHT = dt.date(2026, 1, 2)


@pytest.fixture
def old_warehouse(tmp_path: Path) -> Path:
    """The two tables as they were, one night of history in each."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create schema ml;
            create table ml.customer_segments (
                run_date date, person_id varchar, segment_id integer, segment_name varchar,
                distance double
            );
            insert into ml.customer_segments values ('2026-01-01', 'p1', 1, 'lapsing', 0.5);
            create table ml.recommendations (
                run_date date, person_id varchar, rank integer, product_id varchar,
                score double, source varchar
            );
            insert into ml.recommendations values ('2026-01-01', 'p1', 1, 'sku1', 0.9, 'als');
            """
        )
    return path


def columns(path: Path, table: str) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [row[0] for row in con.execute(f"describe {table}").fetchall()]


def test_the_build_adds_model_version_and_keeps_earlier_nights(old_warehouse: Path) -> None:
    """Regression guard: the version column only reached new warehouses; an old one
    failed the build (on_schema_change fail) or would have lost its history."""
    dbt(["run", "--select", "ml_customer_segments", "ml_recommendations"], old_warehouse, NEW_NIGHT)
    for table in ("ml.customer_segments", "ml.recommendations"):
        assert columns(old_warehouse, table)[-1] == "model_version", table
        history = db.read_arrow(
            f"select run_date, model_version from {table}", path=old_warehouse
        ).to_pylist()
        assert history == [{"run_date": OLD_NIGHT, "model_version": None}], table

    written = db.replace_partition(
        "ml.customer_segments",
        "run_date",
        NEW_NIGHT,
        pa.table(
            {
                "run_date": [NEW_NIGHT],
                "person_id": ["p1"],
                "segment_id": [2],
                "segment_name": ["store loyal"],
                "distance": [0.1],
                "model_version": ["4"],
            }
        ),
        old_warehouse,
    )
    assert written == 1
    versions = db.read_arrow(
        "select model_version from ml.customer_segments order by run_date", path=old_warehouse
    ).column(0)
    assert versions.to_pylist() == [None, "4"]

    # A second build finds the table in line with its contract and changes nothing.
    dbt(["run", "--select", "ml_customer_segments", "ml_recommendations"], old_warehouse, NEW_NIGHT)
    assert (
        db.read_arrow("select count(*) as n from ml.customer_segments", path=old_warehouse)["n"][
            0
        ].as_py()
        == 2
    )
