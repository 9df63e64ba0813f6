"""BTYD quantities for churn, the candidates and the selection, on planted data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml.churn import btyd
from ml.churn.model import best_f1_threshold, fit_logistic, recency_weights
from ml.churn.pipeline import CANDIDATES, choose
from ml.value.simulate import draw_summary

EARLY, LATE = dt.date(2026, 1, 1), dt.date(2026, 3, 1)


def summaries(n: int, seed: int, max_t: float = 300.0) -> pd.DataFrame:
    """A BTYD summary in whole days drawn from BG/NBD (alpha in days)."""
    drawn = draw_summary(n, max_t=max_t, seed=seed)
    return pd.DataFrame(
        {
            "btyd_frequency": drawn["frequency"].astype(float),
            "btyd_recency_days": np.floor(drawn["recency"]),
            "btyd_t_days": np.ceil(drawn["T"]),
            "btyd_monetary_value": drawn["monetary_value"],
        }
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """marts.btyd_summaries_at_cutoffs with two cutoffs; the later one has more buyers."""
    path = tmp_path_factory.mktemp("btyd") / "warehouse.duckdb"
    early = summaries(3_000, seed=1, max_t=120).assign(cutoff_date=EARLY)
    late = summaries(6_000, seed=2, max_t=300).assign(cutoff_date=LATE)
    frame = pd.concat([early, late], ignore_index=True)
    frame["person_id"] = [f"p{i}" for i in range(len(frame))]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.btyd_summaries_at_cutoffs as select * from frame")
    return path


def test_each_cutoff_gets_its_own_fit_from_its_own_rows(warehouse: Path, tmp_path: Path) -> None:
    """Point in time: rows of a later cutoff never move an earlier cutoff's fit."""
    params = btyd.fit_per_cutoff([EARLY, LATE], warehouse)
    assert set(params) == {EARLY, LATE}
    assert params[EARLY] != params[LATE]
    only_early = btyd.fit_per_cutoff([EARLY], warehouse)
    assert only_early[EARLY] == params[EARLY]
    with pytest.raises(ValueError, match="no rows for cutoff"):
        btyd.fit_per_cutoff([dt.date(2025, 1, 1)], warehouse)


def test_a_sample_of_a_large_cutoff_fits_nearly_the_same_parameters(warehouse: Path) -> None:
    full = btyd.fit_per_cutoff([LATE], warehouse)[LATE]
    sampled = btyd.fit_per_cutoff([LATE], warehouse, sample=3_000)[LATE]
    assert sampled != full
    for name, value in full.as_dict().items():
        assert getattr(sampled, name) == pytest.approx(value, rel=0.35), name
    assert btyd.fit_per_cutoff([LATE], warehouse, sample=3_000)[LATE] == sampled  # seeded


def test_a_recent_frequent_buyer_expects_more_purchases_than_a_lapsed_one(
    warehouse: Path,
) -> None:
    params = btyd.fit_per_cutoff([LATE], warehouse)
    people = pd.DataFrame(
        {
            "btyd_frequency": [12.0, 12.0, 0.0],
            "btyd_recency_days": [295.0, 40.0, 0.0],
            "btyd_t_days": [300.0, 300.0, 300.0],
        }
    )
    out = btyd.add_features(people, params, horizon_days=90, cutoff=LATE)
    expected = out[btyd.EXPECTED].to_numpy()
    alive = out[btyd.ALIVE].to_numpy()
    assert expected[0] > expected[1] and expected[0] > expected[2]
    assert alive[0] > alive[1]
    assert alive[2] == 1.0  # no repeat purchase: BG/NBD has no evidence of dropout
    assert list(btyd.baseline_score(out)) == list(-expected)


def test_the_btyd_candidate_ranks_as_the_baseline_and_is_calibrated(warehouse: Path) -> None:
    params = btyd.fit_per_cutoff([LATE], warehouse)
    rng = np.random.default_rng(3)
    frame = btyd.add_features(summaries(4_000, seed=4), params, 90, cutoff=LATE)
    # Planted labels: no purchase in the horizon with BG/NBD's own odds.
    churned = (rng.uniform(size=len(frame)) < np.exp(-frame[btyd.EXPECTED])).astype(int)
    model = btyd.BTYDChurnModel.fit(frame, churned)
    proba = model.predict_proba(frame)
    assert roc_auc_score(churned, proba) == pytest.approx(
        roc_auc_score(churned, btyd.baseline_score(frame)), abs=1e-9
    )
    assert abs(proba.mean() - churned.mean()) < 0.02
    reasons = model.top_reasons(frame.head(3))
    assert all(r.count(";") == 2 and "btyd_expected_purchases" in r for r in reasons)


def test_recency_weights_halve_every_half_life() -> None:
    cutoffs = pd.Series([dt.date(2026, 3, 1), dt.date(2026, 1, 30), dt.date(2025, 12, 31)])
    np.testing.assert_allclose(recency_weights(cutoffs, 30.0), [1.0, 0.5, 0.25])


def test_the_best_candidate_deploys_and_a_tie_goes_to_the_simpler() -> None:
    """Regression guard: the more complex model deployed even when the BTYD baseline
    did as well on the holdout."""
    metrics = {kind: {"auc_roc": 0.7} for kind in CANDIDATES}
    assert choose(metrics) == "btyd"
    metrics["xgboost"]["auc_roc"] = 0.71
    assert choose(metrics) == "xgboost"
    metrics["logistic"]["auc_roc"] = 0.72
    assert choose(metrics) == "logistic"


def test_the_logistic_candidate_names_its_planted_driver() -> None:
    rng = np.random.default_rng(5)
    n = 2_000
    frame = pd.DataFrame({"recency_days": rng.uniform(0, 365, n), "noise": rng.normal(size=n)})
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-(frame["recency_days"] - 180) / 40))).astype(
        int
    )
    model = fit_logistic(frame, churned, ["recency_days", "noise"])
    model.threshold = best_f1_threshold(churned, model.predict_proba(frame))
    gone = pd.DataFrame({"recency_days": [360.0], "noise": [0.0]})
    assert model.predict_proba(gone)[0] > 0.9
    assert model.top_reasons(gone, n=1) == ["high recency_days (raises risk)"]
