"""The customer value model's write path: real DuckDB, the table created by real dbt, real MLflow.

A small ``marts.customer_rfm`` (drawn from BG/NBD and Gamma-Gamma, plus two planted
people) stands in for the built marts; dbt creates ``ml.customer_value`` from its
contract, the model writes it, and dbt's tests of that contract pass on the rows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from ml import tracking
from ml.value import train_and_score
from ml.value.simulate import TrueParameters, draw_summary
from tests.integration.conftest import dbt
from warehouse import db
from warehouse.settings import Settings, load_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DATE = dt.date(2026, 6, 30)
N_DRAWN = 1_500
OUTPUT_COLUMNS = [
    "run_date",
    "person_id",
    "probability_alive",
    "expected_purchases_30d",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "expected_order_value",
    "clv",
    "model_version",
]


def write_customer_rfm(path: Path) -> None:
    """marts.customer_rfm with the btyd_ columns in whole days, as the mart has them."""
    # CDNOW's parameters with alpha in days rather than weeks.
    drawn = draw_summary(N_DRAWN, max_t=540, params=TrueParameters(alpha=4.414 * 7), seed=4)
    with db.connect(path) as con:
        con.register("drawn", drawn)
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.customer_rfm as
            select
                'p' || lpad(cast(row_number() over () as varchar), 5, '0') as person_id,
                cast(frequency as bigint) as btyd_frequency,
                cast(floor(recency) as integer) as btyd_recency_days,
                cast(ceil("T") as integer) as btyd_t_days,
                cast(monetary_value as decimal(18, 2)) as btyd_monetary_value
            from drawn
            union all
            select 'recent', 12, 397, 400, 40.00
            union all
            select 'stopped', 12, 100, 400, 40.00
            """
        )


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("value_home")
    settings = load_settings({"PZ_HOME": str(home)})
    write_customer_rfm(settings.duckdb_path)
    dbt(
        ["run", "--select", "ml_customer_value", "ml_feature_drift"], settings.duckdb_path, RUN_DATE
    )
    tracking.init_store(settings.mlflow_tracking_uri)
    return settings


@pytest.fixture(scope="module")
def first_run(settings: Settings) -> dict:
    return train_and_score(RUN_DATE, settings, horizon_days=365, annual_discount_rate=0.1)


def rows_of(settings: Settings, run_date: dt.date) -> list[dict]:
    return db.read_arrow(
        "select * from ml.customer_value where run_date = $d order by person_id",
        {"d": run_date},
        settings.duckdb_path,
    ).to_pylist()


def test_every_person_of_customer_rfm_gets_one_row_in_the_contract_columns(
    settings: Settings, first_run: dict
) -> None:
    rows = rows_of(settings, RUN_DATE)
    assert first_run["rows_written"] == len(rows) == N_DRAWN + 2
    assert len({row["person_id"] for row in rows}) == len(rows)
    assert list(rows[0]) == OUTPUT_COLUMNS
    numeric = OUTPUT_COLUMNS[2:-1]
    assert all(np.isfinite(row[c]) for row in rows for c in numeric)
    assert {row["model_version"] for row in rows} == {first_run["champion_version"]}
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'ml' and table_name = 'customer_value'"
            ).fetchall()
        )
    assert types["run_date"] == "DATE" and types["clv"] == "DOUBLE"
    assert types["person_id"] == types["model_version"] == "VARCHAR"


def test_the_fit_is_near_the_parameters_the_summary_was_drawn_with(first_run: dict) -> None:
    assert first_run["bgnbd_r"] == pytest.approx(0.243, rel=0.35)
    assert first_run["bgnbd_alpha"] == pytest.approx(4.414 * 7, rel=0.35)
    truth = TrueParameters()
    assert first_run["population_mean_order_value"] == pytest.approx(
        truth.p * truth.gamma / (truth.q - 1), rel=0.1
    )


def test_planted_recent_buyer_outranks_the_one_who_stopped(
    settings: Settings, first_run: dict
) -> None:
    by_person = {row["person_id"]: row for row in rows_of(settings, RUN_DATE)}
    recent, stopped = by_person["recent"], by_person["stopped"]
    assert recent["probability_alive"] > 0.8 > 0.2 > stopped["probability_alive"]
    for column in ("expected_purchases_30d", "expected_purchases_90d", "expected_purchases_365d"):
        assert recent[column] > 5 * stopped[column]
    assert recent["expected_order_value"] == pytest.approx(stopped["expected_order_value"])
    assert recent["clv"] > 5 * stopped["clv"]


def test_fitted_parameters_are_logged_with_the_run(settings: Settings, first_run: dict) -> None:
    logged = list((settings.mlflow_dir / "artifacts").rglob("fitted_parameters.json"))
    assert len(logged) == 1
    parameters = json.loads(logged[0].read_text())
    assert parameters["bgnbd_r"] == pytest.approx(first_run["bgnbd_r"], abs=1e-6)
    assert set(parameters) == {
        "bgnbd_r",
        "bgnbd_alpha",
        "bgnbd_a",
        "bgnbd_b",
        "gamma_gamma_p",
        "gamma_gamma_q",
        "gamma_gamma_gamma",
    }
    champion = tracking.alias_version("customer_value", "champion", settings.mlflow_tracking_uri)
    assert champion is not None and champion.version == first_run["champion_version"]


def test_a_rerun_replaces_its_date_only_and_dbt_tests_pass_on_the_rows(
    settings: Settings, first_run: dict
) -> None:
    before = rows_of(settings, RUN_DATE)
    again = train_and_score(RUN_DATE, settings)
    later = train_and_score(RUN_DATE + dt.timedelta(days=1), settings)
    assert again["model_version"] == first_run["model_version"]  # same data, same version
    assert rows_of(settings, RUN_DATE) == before
    assert later["rows_written"] == len(rows_of(settings, RUN_DATE + dt.timedelta(days=1)))
    total = db.read_arrow("select count(*) as n from ml.customer_value", path=settings.duckdb_path)[
        "n"
    ][0].as_py()
    assert total == 2 * len(before)
    dbt(["test", "--select", "ml_customer_value"], settings.duckdb_path, RUN_DATE)
