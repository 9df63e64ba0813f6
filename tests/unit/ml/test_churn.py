"""Churn model on literal frames with planted answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.churn.model import (
    best_f1_threshold,
    classification_metrics,
    fit_baseline,
    fit_churn_model,
    risk_band,
)
from ml.churn.pipeline import score_frame, split_by_time
from ml.errors import NotEnoughData

FEATURES = ["recency_days", "orders_90d", "sessions_30d", "noise"]


def examples(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Churn depends on recency (up) and recent orders (down); 'noise' carries nothing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "person_id": [f"p{seed}_{i}" for i in range(n)],
            "recency_days": rng.uniform(0, 365, n),
            "orders_90d": rng.poisson(2, n).astype(float),
            "sessions_30d": rng.poisson(3, n).astype(float),
            "noise": rng.normal(size=n),
        }
    )
    logit = 0.02 * (frame["recency_days"] - 150) - 0.8 * (frame["orders_90d"] - 2)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, y


@pytest.fixture(scope="module")
def model():
    train, y_train = examples(1500, 1)
    valid, y_valid = examples(600, 2)
    return fit_churn_model(train, y_train, valid, y_valid, FEATURES, seed=7, threads=1)


def test_a_planted_churner_scores_highest(model) -> None:
    people, _ = examples(200, 3)
    people = people[people["recency_days"] < 180]  # everyone else bought recently
    planted = pd.DataFrame(
        [
            {
                "person_id": "gone",
                "recency_days": 365.0,
                "orders_90d": 0.0,
                "sessions_30d": 0.0,
                "noise": 0.0,
            }
        ]
    )
    proba = model.predict_proba(pd.concat([people, planted], ignore_index=True))
    # Trees saturate: others may tie with the planted churner, none may beat it.
    assert proba[-1] >= proba[:-1].max()
    assert proba[-1] > 0.8


def test_reasons_name_the_planted_drivers_with_their_direction(model) -> None:
    planted = pd.DataFrame(
        [
            {
                "person_id": "gone",
                "recency_days": 365.0,
                "orders_90d": 0.0,
                "sessions_30d": 3.0,
                "noise": 0.0,
            }
        ]
    )
    reasons = model.top_reasons(planted)[0].split("; ")
    assert len(reasons) == 3
    assert reasons[0] in {"high recency_days (raises risk)", "low orders_90d (raises risk)"}
    assert {"high recency_days (raises risk)", "low orders_90d (raises risk)"} <= set(reasons)


def test_the_model_beats_chance_and_is_calibrated(model) -> None:
    holdout, y = examples(1000, 4)
    metrics = classification_metrics(y, model.predict_proba(holdout), model.threshold)
    assert metrics["auc_roc"] > 0.85
    assert metrics["brier"] < 0.15
    base = fit_baseline(*examples(1500, 1), FEATURES).predict_proba(holdout[FEATURES])[:, 1]
    assert classification_metrics(y, base, 0.5)["auc_roc"] > 0.85


def test_missing_and_extra_columns_are_tolerated(model) -> None:
    people, _ = examples(5, 5)
    changed = people.drop(columns=["noise"]).assign(category_share__new=1.0)
    assert np.isfinite(model.predict_proba(changed)).all()


def test_same_seed_same_probabilities() -> None:
    train, y_train = examples(400, 1)
    valid, y_valid = examples(200, 2)
    a = fit_churn_model(train, y_train, valid, y_valid, FEATURES, seed=3, threads=1)
    b = fit_churn_model(train, y_train, valid, y_valid, FEATURES, seed=3, threads=1)
    np.testing.assert_array_equal(a.predict_proba(valid), b.predict_proba(valid))


def test_split_by_time_holds_out_the_latest_cutoff() -> None:
    cutoffs = [dt.date(2026, 1, 1) + dt.timedelta(days=30 * i) for i in range(4)]
    frame = pd.DataFrame(
        {
            "cutoff_date": np.repeat(cutoffs, 3),
            "person_id": ["a", "b", "c"] * 4,
            "churned": [True, False, True] * 4,
        }
    )
    fit, valid, holdout = split_by_time(frame)
    assert set(holdout["cutoff_date"]) == {cutoffs[3]}
    assert set(valid["cutoff_date"]) == {cutoffs[2]}
    assert set(fit["cutoff_date"]) == set(cutoffs[:2])


def test_too_short_a_history_is_not_enough_data() -> None:
    """Regression guard: a short history raised a plain error that failed the night;
    it is NotEnoughData, which the night records as a skip."""
    cutoffs = [dt.date(2026, 1, 1) + dt.timedelta(days=30 * i) for i in range(3)]
    frame = pd.DataFrame(
        {
            "cutoff_date": np.repeat(cutoffs, 3),
            "person_id": ["a", "b", "c"] * 3,
            "churned": [True, False, True] * 3,
        }
    )
    with pytest.raises(NotEnoughData, match="two labelled cutoffs") as raised:
        split_by_time(frame[frame["cutoff_date"] == cutoffs[0]])
    assert raised.value.model == "churn"
    one_label = frame.assign(churned=frame["churned"] & (frame["cutoff_date"] != cutoffs[-1]))
    with pytest.raises(NotEnoughData, match="holdout set has only retained examples"):
        split_by_time(one_label)


def test_threshold_bands_and_rows(model) -> None:
    assert best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 0.8
    assert risk_band(np.array([0.9, 0.6, 0.45, 0.1])).tolist() == ["high", "high", "medium", "low"]
    people, _ = examples(4, 6)
    out = score_frame(model, people, dt.date(2026, 5, 1), "3")
    assert list(out.columns) == [
        "run_date",
        "person_id",
        "churn_probability",
        "risk_band",
        "top_reasons",
        "model_version",
    ]
    assert (out["model_version"] == "3").all() and out["top_reasons"].str.count(";").eq(2).all()


def test_fast_reasons_agree_with_exact_shap_on_the_strongest_feature(model) -> None:
    holdout, _ = examples(1000, 4)
    exact = model.contributions(holdout)
    fast = model.contributions(holdout, approximate=True)
    assert exact.shape == fast.shape == (len(holdout), len(FEATURES))
    same_top = np.argmax(np.abs(exact), axis=1) == np.argmax(np.abs(fast), axis=1)
    assert same_top.mean() > 0.8
    # Both attribute the whole margin: their sums agree row by row.
    np.testing.assert_allclose(exact.sum(axis=1), fast.sum(axis=1), atol=1e-3)
