"""The customer value fits reproduce the parameters published for the CDNOW sample.

BG/NBD on the calibration summary of the 2,357 customers (frequency, recency and T in
weeks as of 1997-09-30): Fader, Hardie & Lee (2005), "Counting your customers the easy
way", r = 0.243, alpha = 4.414, a = 0.793, b = 2.426. Gamma-Gamma on the mean repeat
purchase value of the 946 customers with a repeat purchase day in the calibration
period: Fader, Hardie & Lee (2005), "RFM and CLV", p = 6.25, q = 3.74, gamma = 15.44.

The data come from ``make datasets``; without them these tests fail (the data-set
lookup raises), they do not skip.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ml.value import bgnbd, gamma_gamma
from ml.value.model import fit_value_model
from tests.realdata import datasets

CALIBRATION_END = pd.Timestamp("1997-09-30")


def purchase_days() -> pd.DataFrame:
    """The calibration period's purchases summed per customer and day (the mart's convention)."""
    raw = pd.read_csv(
        datasets.path("cdnow") / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "dollars"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    days = (
        raw[raw["date"] <= CALIBRATION_END]
        .groupby(["customer_id", "date"], as_index=False)["dollars"]
        .sum()
        .sort_values(["customer_id", "date"])
    )
    days["nth"] = days.groupby("customer_id").cumcount()
    return days


def repeat_purchase_values() -> pd.DataFrame:
    """Per repeat customer: repeat purchase days and their mean dollars (calibration).

    The first purchase day is not a repeat.
    """
    days = purchase_days()
    repeats = days[days["nth"] > 0]
    return repeats.groupby("customer_id")["dollars"].agg(frequency="count", monetary_value="mean")


def test_bgnbd_reproduces_the_published_cdnow_estimates() -> None:
    summary = pd.read_csv(datasets.path("cdnow") / "cdnow_customers_summary.csv")
    assert len(summary) == 2357
    params, _ = bgnbd.fit(summary["frequency"], summary["recency"], summary["T"])
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(params, name) == pytest.approx(value, abs=6e-4), name


def test_gamma_gamma_reproduces_the_published_cdnow_estimates() -> None:
    values = repeat_purchase_values()
    summary = pd.read_csv(datasets.path("cdnow") / "cdnow_customers_summary.csv")
    # The per-day aggregation gives the calibration summary's own frequencies.
    repeat_counts = summary.set_index("ID")["frequency"]
    repeat_counts = repeat_counts[repeat_counts > 0]
    assert len(values) == len(repeat_counts) == 946
    np.testing.assert_array_equal(values["frequency"], repeat_counts.loc[values.index])
    params, _ = gamma_gamma.fit(values["frequency"], values["monetary_value"])
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    for name, value in published.items():
        assert getattr(params, name) == pytest.approx(value, abs=6e-3), name


def test_the_model_in_days_reproduces_them_from_a_summary_built_like_the_mart() -> None:
    """The btyd_ columns of marts.customer_rfm, built from the raw purchases, in days.

    alpha is a rate per time unit, so in days it is 7 times the weekly estimate; the
    other parameters do not depend on the unit.
    """
    days = purchase_days()
    per_customer = days.groupby("customer_id").agg(
        first=("date", "min"), last=("date", "max"), n=("nth", "size")
    )
    repeat_value = repeat_purchase_values()["monetary_value"]
    summary = pd.DataFrame(
        {
            "btyd_frequency": per_customer["n"] - 1,
            "btyd_recency_days": (per_customer["last"] - per_customer["first"]).dt.days,
            "btyd_t_days": (CALIBRATION_END - per_customer["first"]).dt.days,
            "btyd_monetary_value": repeat_value.reindex(per_customer.index).fillna(0.0),
        }
    )
    assert len(summary) == 2357
    model, report = fit_value_model(summary)
    assert report.n_customers == 2357 and report.n_repeat == 946
    purchases, spend = model.purchases, model.spend
    assert purchases.r == pytest.approx(0.243, abs=6e-4)
    assert purchases.alpha / 7 == pytest.approx(4.414, abs=6e-3)
    assert purchases.a == pytest.approx(0.793, abs=6e-4)
    assert purchases.b == pytest.approx(2.426, abs=6e-4)
    assert (spend.p, spend.q, spend.gamma) == pytest.approx((6.25, 3.74, 15.44), abs=6e-3)


def test_a_missing_data_set_fails_the_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression guard: the tests above fail, not skip, when the data are not fetched."""
    absent = dataclasses.replace(datasets.DATASETS["cdnow"], name="cdnow-not-fetched")
    monkeypatch.setitem(datasets.DATASETS, "cdnow", absent)
    with pytest.raises(datasets.DatasetMissing, match="make datasets"):
        repeat_purchase_values()
