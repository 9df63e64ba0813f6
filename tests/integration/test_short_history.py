"""A shop with about 70 days of order history gets its files: models that cannot train
are skipped, the audiences that need them are published empty, and the manifest says why."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import mlflow
import pytest
from mlflow.tracking import MlflowClient

from tests.nights import generate_sample, isolated_env, run_night

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DATE = "2019-06-30"
CUSTOMERS = 300
DAYS = 70


def trim_history(landing: Path) -> dt.date:
    """Drop every order and store purchase before the first delivery date.

    The generator puts a year of order history into the first delivery; without it
    the shop's history starts with its first daily file, ``DAYS`` days before the run.

    Returns:
        The first delivery date (the start of the history now).
    """
    first = min(dt.date.fromisoformat(p.name) for p in (landing / "shop").iterdir())
    shop, pos = landing / "shop" / first.isoformat(), landing / "pos" / first.isoformat()
    since = f"'{first.isoformat()}'"
    with duckdb.connect() as con:
        con.execute(
            f"create table orders as select * from read_csv('{shop}/orders.csv', "
            f"all_varchar = true) where order_ts >= {since}"
        )
        con.execute(
            f"create table items as select * from read_csv('{shop}/order_items.csv.gz', "
            "all_varchar = true) where order_id in (select order_id from orders)"
        )
        con.execute(f"copy orders to '{shop}/orders.csv' (header true)")
        con.execute(f"copy items to '{shop}/order_items.csv.gz' (header true, compression gzip)")
        parquet = pos / "transactions.parquet"
        con.execute(
            f"create table stores as select * from '{parquet}' where transaction_ts >= {since}"
        )
        con.execute(f"copy stores to '{parquet}' (format parquet)")
        remaining = con.execute(
            "select min(order_ts) from orders union all select min(transaction_ts) from stores"
        ).fetchall()
    assert all(v is None or v >= first.isoformat() for (v,) in remaining)
    return first


@pytest.fixture(scope="module")
def short_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after one DAG run for RUN_DATE over a sample with ~70 days of history."""
    home = tmp_path_factory.mktemp("pz_home_short")
    generate_sample(
        home / "landing", customers=CUSTOMERS, days=DAYS, end_date=RUN_DATE, seed=5,
        env=isolated_env(home),
    )  # fmt: skip
    first = trim_history(home / "landing")
    assert (dt.date.fromisoformat(RUN_DATE) - first).days < 90
    run_night(home, RUN_DATE)
    return home


def test_short_history_publishes_with_churn_skipped(short_night: Path) -> None:
    """Regression guard: with a few months of history churn raised "needs at least two
    labelled cutoffs" and the night published nothing, recommendations included."""
    folder = short_night / "exports" / RUN_DATE
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "labelled cutoffs" in manifest["skipped_models"]["churn"]
    files = {f["file"]: f for f in manifest["files"]}
    churn_audience = files["high_churn_risk.parquet"]
    assert churn_audience["rows"] == 0
    assert "churn was skipped" in churn_audience["empty_because"]
    with duckdb.connect() as con:
        published = con.sql(f"select count(*) from '{folder}/high_churn_risk.parquet'")
        assert published.fetchall() == [(0,)]
    # The models that can train on 70 days did, and their audience has members.
    assert "recommendations" not in manifest["skipped_models"]
    assert files["product_recommendations.parquet"]["rows"] > 0
    assert "empty_because" not in files["product_recommendations.parquet"]
    assert "WARNING: model churn was skipped" in (short_night / "dag_run.log").read_text()


def test_skip_is_recorded_in_the_warehouse_and_mlflow(short_night: Path) -> None:
    """The skip is a row of ml.model_skips and a run tagged skipped in the churn experiment."""
    with duckdb.connect(str(short_night / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select model, reason from ml.model_skips where run_date = ?", [RUN_DATE]
        ).fetchall()
        scored = con.execute(
            "select count(*) from ml.churn_scores where run_date = ?", [RUN_DATE]
        ).fetchone()[0]
    assert [model for model, _ in rows] == ["churn"]
    assert scored == 0
    uri = f"sqlite:///{short_night / 'mlflow' / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("churn")
    runs = client.search_runs([experiment.experiment_id], "tags.skipped = 'true'")
    assert len(runs) == 1
    assert runs[0].data.tags["run_date"] == RUN_DATE
    assert "labelled cutoffs" in runs[0].data.tags["skip_reason"]
