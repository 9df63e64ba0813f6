"""Public real purchase and rating data through `make run` for a past date.

Each data set is converted to the extract contract as one history delivery (see
tests/realdata/adapters.py) and run through the whole nightly DAG with
``python -m tools.airflow_local run`` (what ``make run`` does) for a date before the
delivery, in a temporary PZ_HOME. The tests then check the marts against figures the
data sets' publishers document:

* CDNOW: the ``lifetimes`` package's calibration summary of the 2,357-customer sample
  (frequency, recency and T in weeks as of 1997-09-30, Fader, Hardie and Lee's
  convention) is reproduced from ``marts.customer_rfm`` for every customer.
* CDNOW at the end of its data (1998-06-30), a shop with only orders: the churn model
  deployed on the time-split holdout beats the classical BTYD baseline (minus a BG/NBD
  model's expected purchases in the churn horizon) by at least 0.01 AUC.
* MovieLens 100K: GroupLens's README (943 users, 1,682 movies, 100,000 ratings, each
  user with at least 20) is reproduced from ``marts.fct_order_items`` and
  ``marts.dim_products``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from sklearn.metrics import roc_auc_score

from ml.value import bgnbd
from tests.nights import run_night
from tests.realdata import datasets
from tests.realdata.adapters import cdnow_to_landing, movielens_to_landing

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CDNOW_RUN_DATE = "1997-09-30"
CDNOW_END_DATE = "1998-06-30"
ML100K_RUN_DATE = "1998-04-22"


def _query(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def cdnow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after one night for 1997-09-30 over the CDNOW sample's history delivery."""
    home = tmp_path_factory.mktemp("cdnow")
    cdnow_to_landing(datasets.path("cdnow") / "CDNOW_sample.txt", home / "landing")
    run_night(home, CDNOW_RUN_DATE)
    return home


@pytest.fixture(scope="module")
def cdnow_end_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after one night for 1998-06-30, the last day of the CDNOW purchases."""
    home = tmp_path_factory.mktemp("cdnow_end")
    cdnow_to_landing(datasets.path("cdnow") / "CDNOW_sample.txt", home / "landing")
    run_night(home, CDNOW_END_DATE)
    return home


@pytest.fixture(scope="module")
def movielens_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after one night for 1998-04-22 over MovieLens 100K's history delivery."""
    home = tmp_path_factory.mktemp("ml100k")
    movielens_to_landing(datasets.path("ml-100k"), home / "landing")
    run_night(home, ML100K_RUN_DATE)
    return home


def test_cdnow_night_publishes_its_audiences(cdnow_home: Path) -> None:
    manifest = json.loads((cdnow_home / "exports" / CDNOW_RUN_DATE / "manifest.json").read_text())
    assert manifest["run_date"] == CDNOW_RUN_DATE
    assert manifest["files"], "nothing published"
    # The night saw the one history delivery, dated after the run date.
    seen = {(d["source"], d["entity"]): d for d in manifest["deliveries"]}
    assert set(seen) == {
        ("crm", "customers"),
        ("shop", "products"),
        ("shop", "orders"),
        ("shop", "order_items"),
    }
    assert {d["last_extract_date"] for d in seen.values()} == {"1998-07-01"}
    assert seen[("shop", "orders")]["rows_loaded"] == 6919


def test_cdnow_every_order_up_to_the_run_date_reaches_the_marts(cdnow_home: Path) -> None:
    """Regression: a CRM snapshot delivered after the run date left every mart empty."""
    end = dt.date.fromisoformat(CDNOW_RUN_DATE) + dt.timedelta(days=1)
    [(raw,)] = _query(
        cdnow_home,
        f"select count(*) from raw.shop__orders where cast(order_ts as timestamp) < '{end}'",
    )
    [(marts,)] = _query(cdnow_home, "select count(*) from marts.fct_orders")
    [(people,)] = _query(cdnow_home, "select count(*) from marts.dim_customers")
    assert raw > 0
    assert marts == raw
    assert people == 2357
    outcomes = dict(
        _query(
            cdnow_home,
            "select reason, count(*) from marts.order_reconciliation "
            "where record_type = 'order' group by reason",
        )
    )
    assert outcomes == {None: raw, "placed after run_date": 6919 - raw}


def test_cdnow_btyd_summary_reproduces_the_published_calibration_summary(
    cdnow_home: Path,
) -> None:
    """The lifetimes package's summary of the sample, to the hundredth of a week."""
    with (datasets.path("cdnow") / "cdnow_customers_summary.csv").open() as handle:
        published = {row["ID"]: row for row in csv.DictReader(handle)}
    ours = {
        customer_id: (frequency, recency_days, t_days)
        for customer_id, frequency, recency_days, t_days in _query(
            cdnow_home,
            """
            select d.customer_id, r.btyd_frequency, r.btyd_recency_days, r.btyd_t_days
            from marts.customer_rfm as r
            inner join marts.dim_customers as d using (person_id)
            """,
        )
    }
    assert set(ours) == set(published)
    for customer_id, row in published.items():
        frequency, recency_days, t_days = ours[customer_id]
        assert frequency == int(row["frequency"]), customer_id
        assert recency_days / 7 == pytest.approx(float(row["recency"]), abs=0.006), customer_id
        assert t_days / 7 == pytest.approx(float(row["T"]), abs=0.006), customer_id


def _btyd_baseline_auc(home: Path, cutoff: dt.date) -> float:
    """The BTYD baseline recomputed from the marts: BG/NBD fitted on everyone's summary
    as of the holdout cutoff, minus expected purchases in the horizon, scored against
    the holdout labels."""
    summaries = _query(
        home,
        "select btyd_frequency, btyd_recency_days, btyd_t_days "
        f"from marts.btyd_summaries_at_cutoffs where cutoff_date = '{cutoff}'",
    )
    columns = (np.array(column, dtype=float) for column in zip(*summaries, strict=True))
    params, _ = bgnbd.fit(*columns)
    rows = _query(
        home,
        "select btyd_frequency, btyd_recency_days, btyd_t_days, churned, "
        "label_end_date - cutoff_date from marts.churn_training_examples "
        f"where cutoff_date = '{cutoff}'",
    )
    x, t_x, big_t, churned, horizon = (np.array(column) for column in zip(*rows, strict=True))
    expected = bgnbd.expected_purchases(
        params, float(horizon[0]), x.astype(float), t_x.astype(float), big_t.astype(float)
    )
    return float(roc_auc_score(churned.astype(int), -expected))


def test_cdnow_churn_beats_the_btyd_baseline_on_orders_alone(cdnow_end_home: Path) -> None:
    """The target on real purchase data: the deployed churn model's holdout AUC is at
    least 0.01 above the BTYD baseline's, on a shop with no web, email or store data."""
    [(web, email)] = _query(
        cdnow_end_home,
        "select count(*) filter (where sessions_90d > 0), count(*) filter (where "
        "email_sends_90d > 0) from marts.churn_training_examples",
    )
    assert (web, email) == (0, 0)
    client = MlflowClient(f"sqlite:///{cdnow_end_home / 'mlflow' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("churn")
    [run] = client.search_runs([experiment.experiment_id], "tags.run_date = '1998-06-30'")
    metrics, params = run.data.metrics, run.data.params
    holdout_cutoff = dt.date.fromisoformat(params["holdout_cutoff"])
    # The logged baseline is the BTYD model's, recomputed here from the marts alone.
    assert metrics["btyd_auc_roc"] == pytest.approx(
        _btyd_baseline_auc(cdnow_end_home, holdout_cutoff), abs=1e-6
    )
    deployed = params["deployed_kind"]
    assert metrics["auc_roc"] == metrics[f"{deployed}_auc_roc"]
    assert metrics["auc_roc"] == max(
        metrics[f"{k}_auc_roc"] for k in ("btyd", "logistic", "xgboost")
    )
    assert metrics["lift_over_btyd"] == pytest.approx(metrics["auc_roc"] - metrics["btyd_auc_roc"])
    assert metrics["lift_over_btyd"] >= 0.01, metrics
    [(scored,)] = _query(
        cdnow_end_home, f"select count(*) from ml.churn_scores where run_date = '{CDNOW_END_DATE}'"
    )
    assert scored > 0


def test_movielens_marts_reproduce_the_published_counts(movielens_home: Path) -> None:
    """GroupLens: 943 users, 1,682 movies, 100,000 ratings, every user with 20 or more."""
    [(users, lines, least)] = _query(
        movielens_home,
        """
        select count(distinct person_id), sum(lines), min(lines)
        from (
            select person_id, count(*) as lines
            from marts.fct_order_items
            group by person_id
        )
        """,
    )
    [(movies,)] = _query(movielens_home, "select count(*) from marts.dim_products")
    assert (users, movies, lines) == (943, 1682, 100_000)
    assert least >= 20


def test_movielens_categories_with_apostrophes_survive(movielens_home: Path) -> None:
    """Regression: a category like "Children's" broke the feature models' SQL."""
    [(children,)] = _query(
        movielens_home, "select count(*) from marts.dim_products where category = 'children''s'"
    )
    assert children > 0
    manifest = json.loads(
        (movielens_home / "exports" / ML100K_RUN_DATE / "manifest.json").read_text()
    )
    assert manifest["files"]
