"""The lift statistics and the Thompson allocation on planted answers (no warehouse)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from pipeline.lift import (
    allocation_shares,
    conversion_lift,
    cuped,
    lift_of_group,
    lift_rows,
    variant_posteriors,
    welch,
)
from pipeline.night import STEPS


def test_a_planted_conversion_lift_is_inside_its_interval() -> None:
    rng = np.random.default_rng(3)
    treated = rng.random(4000) < 0.30
    control = rng.random(4000) < 0.20
    out = conversion_lift(int(treated.sum()), 4000, int(control.sum()), 4000)
    assert out["conversion_ci_low"] < 0.10 < out["conversion_ci_high"]
    assert out["conversion_ci_low"] > 0 and out["conversion_p_value"] < 1e-6
    assert out["conversion_diff"] == pytest.approx(treated.mean() - control.mean())


def test_without_an_effect_the_intervals_cover_zero_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(4)
    covered_conversion = covered_revenue = 0
    for _ in range(300):
        converted = rng.random(600) < 0.1
        revenue = np.where(converted, rng.gamma(2.0, 40.0, 600), 0.0)
        is_control = rng.random(600) < 0.2
        row = lift_of_group(is_control, converted, converted.astype(float), revenue, revenue)
        covered_conversion += row["conversion_ci_low"] <= 0 <= row["conversion_ci_high"]
        covered_revenue += row["revenue_ci_low"] <= 0 <= row["revenue_ci_high"]
    assert 0.91 <= covered_conversion / 300 <= 0.99
    assert 0.91 <= covered_revenue / 300 <= 0.99


def test_cuped_keeps_the_planted_revenue_lift_and_narrows_its_interval() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    pre = rng.gamma(2.0, 50.0, n)
    is_control = rng.random(n) < 0.5
    revenue = 0.8 * pre + rng.normal(0, 20, n) + np.where(is_control, 0.0, 10.0)
    diff, low, high, p_value = welch(revenue[~is_control], revenue[is_control])
    adjusted, theta = cuped(revenue, pre)
    c_diff, c_low, c_high, c_p = welch(adjusted[~is_control], adjusted[is_control])
    assert theta == pytest.approx(0.8, abs=0.05)
    assert c_low < 10 < c_high
    assert (c_high - c_low) < 0.5 * (high - low)
    assert c_p < p_value


def test_too_few_members_leave_the_interval_empty_and_say_why() -> None:
    row = lift_of_group(
        np.array([True, False, False]),
        np.array([False, True, False]),
        np.array([0.0, 1.0, 0.0]),
        np.array([0.0, 30.0, 0.0]),
        np.zeros(3),
    )
    assert row["control_n"] == 1 and row["revenue_ci_low"] is None
    assert row["note"] == "control has fewer than 2 members"


def test_lift_rows_group_by_night_audience_and_window() -> None:
    outcomes = pa.table(
        {
            "run_date": [dt.date(2026, 3, 1)] * 4,
            "audience": ["vip"] * 4,
            "channel": ["ads"] * 4,
            "window_days": [7, 7, 30, 30],
            "days_observed": [7, 7, 9, 9],
            "orders": [1.0, 0.0, 2.0, 0.0],
            "revenue": [10.0, 0.0, 20.0, 0.0],
            "pre_period_revenue": [0.0, 0.0, 0.0, 0.0],
            "is_control": [False, True, False, True],
            "has_converted": [True, False, True, False],
            "is_window_closed": [True, True, False, False],
        }
    )
    rows = lift_rows(outcomes, dt.date(2026, 3, 10))
    assert [(r["window_days"], r["window_closed"], r["days_observed"]) for r in rows] == [
        (7, True, 7),
        (30, False, 9),
    ]
    assert rows[1]["revenue_per_person_treated"] == 20.0
    assert all(r["computed_on"] == dt.date(2026, 3, 10) for r in rows)


def test_thompson_gives_the_far_better_variant_almost_everything() -> None:
    shares = allocation_shares([1 + 80, 1 + 5], [1 + 20, 1 + 95], seed=1, draws=20_000)
    assert shares[0] > 0.999 and sum(shares) == pytest.approx(1.0)
    uniform = allocation_shares([1, 1, 1], [1, 1, 1], seed=1, draws=60_000)
    assert all(abs(s - 1 / 3) < 0.01 for s in uniform)
    assert allocation_shares([3, 4], [5, 2], seed=9) == allocation_shares([3, 4], [5, 2], seed=9)


def test_posteriors_count_each_declared_variant_and_default_to_the_uniform_prior() -> None:
    history = pa.table({"audience": ["x"], "variant": ["b"], "members": [100], "conversions": [40]})
    rows = variant_posteriors(history, {"x": ("a", "b")}, dt.date(2026, 3, 1), 7, draws=10_000)
    by_variant = {r["variant"]: r for r in rows}
    assert (by_variant["a"]["alpha"], by_variant["a"]["beta"]) == (1.0, 1.0)
    assert (by_variant["b"]["alpha"], by_variant["b"]["beta"]) == (41.0, 61.0)
    assert sum(r["allocation_share"] for r in rows) == pytest.approx(1.0)


def test_the_lift_step_runs_after_the_marts_and_before_the_audiences() -> None:
    names = [step.name for step in STEPS]
    lift = next(step for step in STEPS if step.name == "audience_lift")
    assert "dbt_build_marts" in lift.upstream and lift.opens_duckdb
    assert names.index("dbt_build_marts") < names.index("audience_lift")
    assert "audience_lift" in next(s for s in STEPS if s.name == "dbt_build_audiences").upstream
