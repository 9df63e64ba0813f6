"""The customer value model: likelihoods, predictions with planted answers, CLV arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from ml.value import bgnbd, gamma_gamma
from ml.value.bgnbd import BGNBDParams
from ml.value.gamma_gamma import GammaGammaParams
from ml.value.model import CustomerValueModel, fit_value_model
from ml.value.simulate import TrueParameters, draw_summary

# CDNOW's published estimates, weeks (Fader, Hardie & Lee 2005).
CDNOW_BGNBD = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def summary_frame(
    x: list[float], t_x: list[float], big_t: list[float], m: list[float]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "btyd_frequency": x,
            "btyd_recency_days": t_x,
            "btyd_t_days": big_t,
            "btyd_monetary_value": m,
        }
    )


def test_fit_recovers_the_parameters_a_summary_was_drawn_with() -> None:
    """Guards both likelihoods and their gradients: a wrong term moves the optimum."""
    truth = TrueParameters()
    drawn = draw_summary(40_000, seed=5)
    purchases, _ = bgnbd.fit(drawn["frequency"], drawn["recency"], drawn["T"])
    for name, fitted in purchases.as_dict().items():
        assert fitted == pytest.approx(getattr(truth, name), rel=0.12), name
    repeat = drawn[drawn["frequency"] > 0]
    spend, _ = gamma_gamma.fit(repeat["frequency"], repeat["monetary_value"])
    # p, q and gamma trade off against each other; their population mean is sharp.
    assert spend.population_mean == pytest.approx(truth.p * truth.gamma / (truth.q - 1), rel=0.03)
    assert spend.p == pytest.approx(truth.p, rel=0.2)


def test_analytic_gradients_match_finite_differences() -> None:
    """Regression guard for the hand-derived gradients the optimiser follows."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, 50).astype(float)
    big_t = rng.uniform(5, 60, 50)
    t_x = np.where(x > 0, big_t * rng.uniform(0, 1, 50), 0.0)
    m = rng.uniform(5, 80, 50)
    point = np.array([0.3, 5.0, 0.9, 2.2])

    def bg(theta: np.ndarray) -> float:
        return float(bgnbd.log_likelihood(BGNBDParams(*theta), x, t_x, big_t).sum())

    _, grad = bgnbd._log_likelihood_and_gradient(BGNBDParams(*point), x, t_x, big_t, True)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * point[i]
        numeric = (bg(point + step) - bg(point - step)) / (2 * step[i])
        assert grad[:, i].sum() == pytest.approx(numeric, rel=1e-5), i

    repeat = x > 0
    spend_point = np.array([4.0, 3.0, 12.0])

    def gg(theta: np.ndarray) -> float:
        params = GammaGammaParams(*theta)
        return float(gamma_gamma.log_likelihood(params, x[repeat], m[repeat]).sum())

    _, grad = gamma_gamma._log_likelihood_and_gradient(
        GammaGammaParams(*spend_point), x[repeat], m[repeat], True
    )
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6 * spend_point[i]
        numeric = (gg(spend_point + step) - gg(spend_point - step)) / (2 * step[i])
        assert grad[:, i].sum() == pytest.approx(numeric, rel=1e-5), i


def test_expected_purchases_equal_the_untransformed_formula() -> None:
    """The Euler-transformed hypergeometric term equals the paper's equation 10."""
    p = CDNOW_BGNBD
    x = np.array([0.0, 1.0, 2.0, 5.0])
    t_x = np.array([0.0, 10.0, 30.0, 35.0])
    big_t = np.array([20.0, 38.0, 38.0, 38.0])
    t = 39.0
    repeat = (x > 0).astype(float)
    paper = (
        (p.a + p.b + x - 1)
        / (p.a - 1)
        * (
            1
            - ((p.alpha + big_t) / (p.alpha + big_t + t)) ** (p.r + x)
            * hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, t / (p.alpha + big_t + t))
        )
        / (
            1
            + repeat
            * p.a
            / (p.b + x - 1 + (1 - repeat))
            * ((p.alpha + big_t) / (p.alpha + t_x)) ** (p.r + x)
        )
    )
    np.testing.assert_allclose(bgnbd.expected_purchases(p, t, x, t_x, big_t), paper, rtol=1e-10)


def test_expected_purchases_are_continuous_through_a_equal_one() -> None:
    """Regression guard: the formula divides by a - 1, which a fit can land next to."""
    x, t_x, big_t = np.array([0.0, 3.0]), np.array([0.0, 30.0]), np.array([40.0, 40.0])
    at = {
        a: bgnbd.expected_purchases(BGNBDParams(0.24, 4.4, a, 2.4), 20.0, x, t_x, big_t)
        for a in (1 - 1e-3, 1.0, 1 + 1e-9, 1 + 1e-3)
    }
    assert np.isfinite(at[1.0]).all()
    np.testing.assert_allclose(at[1.0], (at[1 - 1e-3] + at[1 + 1e-3]) / 2, rtol=1e-5)
    np.testing.assert_allclose(at[1 + 1e-9], at[1.0], rtol=1e-6)


def test_a_recent_frequent_buyer_is_more_alive_and_buys_more_than_one_who_stopped() -> None:
    """Planted: 12 repeat purchases, last one 3 days ago vs 12 that ended 300 days ago."""
    model = CustomerValueModel(
        BGNBDParams(r=0.25, alpha=30.0, a=0.8, b=2.5), GammaGammaParams(6.0, 4.0, 15.0)
    )
    frame = summary_frame(
        x=[12, 12, 0], t_x=[397, 100, 0], big_t=[400, 400, 400], m=[30.0, 30.0, 0.0]
    )
    out = model.predict(frame)
    recent, stopped, one_time = out.iloc[0], out.iloc[1], out.iloc[2]
    assert recent["probability_alive"] > 0.9 > 0.05 > stopped["probability_alive"]
    for days in (30, 90, 365):
        column = f"expected_purchases_{days}d"
        assert recent[column] > 10 * stopped[column]
    assert recent["clv"] > 10 * stopped["clv"]
    # Without a repeat purchase BG/NBD cannot have seen a dropout.
    assert one_time["probability_alive"] == 1.0
    assert (out["expected_purchases_30d"] <= out["expected_purchases_90d"]).all()
    assert (out["expected_purchases_90d"] <= out["expected_purchases_365d"]).all()


def test_order_value_of_a_one_repeat_customer_shrinks_toward_the_population_mean() -> None:
    """Planted: same mean of 100, one repeat purchase vs twenty (population mean 35.2)."""
    spend = CDNOW_SPEND
    population = spend.population_mean
    assert population == pytest.approx(6.25 * 15.44 / 2.74)
    one, twenty, none = gamma_gamma.expected_value(
        spend, np.array([1, 20, 0]), np.array([100.0, 100.0, 0.0])
    )
    assert population < one < twenty < 100.0
    # The share of the gap to the population mean kept: (q - 1) / (p x + q - 1).
    assert (100.0 - one) / (100.0 - population) == pytest.approx(2.74 / (6.25 + 2.74))
    assert (100.0 - twenty) / (100.0 - population) == pytest.approx(2.74 / (20 * 6.25 + 2.74))
    assert none == pytest.approx(population)


def test_clv_is_order_value_times_purchases_without_discount_and_less_with_it() -> None:
    purchases = BGNBDParams(r=0.25, alpha=30.0, a=0.8, b=2.5)
    spend = GammaGammaParams(6.0, 4.0, 15.0)
    frame = summary_frame(x=[4, 1, 0], t_x=[200, 20, 0], big_t=[210, 300, 50], m=[40, 25, 0])
    flat = CustomerValueModel(purchases, spend, horizon_days=365, annual_discount_rate=0.0)
    out = flat.predict(frame)
    np.testing.assert_allclose(
        out["clv"], out["expected_order_value"] * out["expected_purchases_365d"], rtol=1e-12
    )
    discounted = CustomerValueModel(purchases, spend, horizon_days=365, annual_discount_rate=0.2)
    assert (discounted.clv(frame) < out["clv"].to_numpy()).all()
    assert (discounted.clv(frame) > out["clv"].to_numpy() / 1.2).all()
    shorter = CustomerValueModel(purchases, spend, horizon_days=100, annual_discount_rate=0.0)
    np.testing.assert_allclose(
        shorter.clv(frame),
        out["expected_order_value"] * shorter.expected_purchases(frame, 100),
        rtol=1e-12,
    )


def test_fit_value_model_fits_gamma_gamma_on_repeat_customers_with_a_value_only() -> None:
    drawn = draw_summary(5_000, max_t=500, seed=2)
    frame = summary_frame(drawn["frequency"], drawn["recency"], drawn["T"], drawn["monetary_value"])
    frame.loc[frame.index[:3], "btyd_frequency"] = 2
    frame.loc[frame.index[:3], "btyd_monetary_value"] = 0.0
    model, report = fit_value_model(frame, horizon_days=180, annual_discount_rate=0.05)
    assert report.n_customers == 5_000
    assert report.n_repeat_without_value == int(
        ((frame["btyd_frequency"] > 0) & (frame["btyd_monetary_value"] <= 0)).sum()
    )
    assert report.n_repeat + report.n_repeat_without_value == int(
        (frame["btyd_frequency"] > 0).sum()
    )
    assert model.horizon_days == 180 and model.annual_discount_rate == 0.05


@pytest.mark.parametrize(
    ("x", "t_x", "big_t", "message"),
    [
        ([], [], [], "at least one customer"),
        ([1], [50], [40], "t_x <= T"),
        ([0], [5], [40], "t_x = 0"),
    ],
)
def test_bgnbd_refuses_an_empty_or_inconsistent_summary(
    x: list[float], t_x: list[float], big_t: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bgnbd.fit(np.array(x), np.array(t_x), np.array(big_t))


def test_gamma_gamma_refuses_a_customer_without_repeat_purchases() -> None:
    with pytest.raises(ValueError, match="x >= 1"):
        gamma_gamma.fit(np.array([0.0, 2.0]), np.array([10.0, 12.0]))
