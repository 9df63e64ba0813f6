"""The customer value model: BG/NBD for how many purchases, Gamma-Gamma for their worth.

``fit_value_model`` fits both on a BTYD summary in days (the ``btyd_`` columns of
``marts.customer_rfm``); ``CustomerValueModel.predict`` turns a summary into
probability alive, expected purchases over 30, 90 and 365 days, expected order value
and a discounted customer lifetime value.

CLV over ``horizon_days`` with an annual discount rate ``d`` is the expected order
value times the expected purchases of each step of ``step_days``, each discounted by
``(1 + d) ** -(t / 365)`` at the middle ``t`` of its step. That is the expected
discounted revenue of the next ``horizon_days`` (not margin).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.value import bgnbd, gamma_gamma
from ml.value.bgnbd import BGNBDParams
from ml.value.gamma_gamma import GammaGammaParams

FREQUENCY = "btyd_frequency"
RECENCY = "btyd_recency_days"
AGE = "btyd_t_days"
MONETARY = "btyd_monetary_value"
SUMMARY_COLUMNS = (FREQUENCY, RECENCY, AGE, MONETARY)
PURCHASE_HORIZONS_DAYS = (30, 90, 365)
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class FitReport:
    """What the fit saw and reached, for the tracking run.

    Attributes:
        n_customers: Customers the BG/NBD model was fitted on.
        n_repeat: Customers with a repeat purchase and a positive mean value (the
            Gamma-Gamma fit).
        n_repeat_without_value: Repeat customers left out of the Gamma-Gamma fit
            because their mean repeat value is not positive.
        bgnbd_mean_log_likelihood: Mean log-likelihood per customer at the fit.
        gamma_gamma_mean_log_likelihood: Same for the Gamma-Gamma fit.
        frequency_value_correlation: Pearson correlation of repeat purchases and mean
            value among the repeat customers; Gamma-Gamma assumes they are independent.
    """

    n_customers: int
    n_repeat: int
    n_repeat_without_value: int
    bgnbd_mean_log_likelihood: float
    gamma_gamma_mean_log_likelihood: float
    frequency_value_correlation: float


@dataclass
class CustomerValueModel:
    """Fitted BG/NBD and Gamma-Gamma parameters (time in days) and the CLV settings.

    Attributes:
        purchases: BG/NBD parameters; ``alpha`` in days.
        spend: Gamma-Gamma parameters; ``gamma`` in the shop's currency.
        horizon_days: CLV horizon.
        annual_discount_rate: Yearly discount rate of future revenue (0.1 = 10 %).
        step_days: Discounting step of the CLV sum.
    """

    purchases: BGNBDParams
    spend: GammaGammaParams
    horizon_days: int = 365
    annual_discount_rate: float = 0.10
    step_days: int = 30

    def expected_purchases(self, frame: pd.DataFrame, days: float) -> np.ndarray:
        """Expected purchases of each row in the next ``days``."""
        return bgnbd.expected_purchases(self.purchases, days, *_summary(frame)[:3])

    def clv(self, frame: pd.DataFrame) -> np.ndarray:
        """Discounted expected revenue of each row over the horizon."""
        x, t_x, big_t, m = _summary(frame)
        ends = np.append(
            np.arange(self.step_days, self.horizon_days, self.step_days), self.horizon_days
        )
        starts = np.concatenate([[0], ends[:-1]])
        cumulative = np.zeros(len(frame))
        discounted = np.zeros(len(frame))
        for start, end in zip(starts, ends, strict=True):
            upto = bgnbd.expected_purchases(self.purchases, float(end), x, t_x, big_t)
            factor = (1 + self.annual_discount_rate) ** (-((start + end) / 2) / DAYS_PER_YEAR)
            discounted += (upto - cumulative) * factor
            cumulative = upto
        return discounted * gamma_gamma.expected_value(self.spend, x, m)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-row value estimates of a BTYD summary in days (the model's output columns).

        Args:
            frame: Rows with the ``btyd_`` columns of ``marts.customer_rfm``.

        Returns:
            probability_alive, expected_purchases_30d/90d/365d, expected_order_value
            and clv, one row per input row, in order.
        """
        x, t_x, big_t, m = _summary(frame)
        columns = {"probability_alive": bgnbd.probability_alive(self.purchases, x, t_x, big_t)}
        for days in PURCHASE_HORIZONS_DAYS:
            columns[f"expected_purchases_{days}d"] = bgnbd.expected_purchases(
                self.purchases, float(days), x, t_x, big_t
            )
        columns["expected_order_value"] = gamma_gamma.expected_value(self.spend, x, m)
        columns["clv"] = self.clv(frame)
        return pd.DataFrame(columns, index=frame.index)


def fit_value_model(
    frame: pd.DataFrame,
    horizon_days: int = 365,
    annual_discount_rate: float = 0.10,
    step_days: int = 30,
) -> tuple[CustomerValueModel, FitReport]:
    """Fit BG/NBD on every row and Gamma-Gamma on the repeat customers with a positive value.

    Args:
        frame: The BTYD summary (``btyd_`` columns of ``marts.customer_rfm``).
        horizon_days: CLV horizon.
        annual_discount_rate: Yearly discount rate of the CLV.
        step_days: Discounting step of the CLV sum.

    Raises:
        ValueError: Invalid settings or a fit that cannot be done (see the two fits).
    """
    if horizon_days <= 0 or step_days <= 0:
        raise ValueError("horizon_days and step_days must be positive")
    if annual_discount_rate <= -1:
        raise ValueError("annual_discount_rate must be above -1")
    x, t_x, big_t, m = _summary(frame)
    purchases, bgnbd_ll = bgnbd.fit(x, t_x, big_t)
    repeat = x > 0
    valued = repeat & (m > 0)
    spend, gg_ll = gamma_gamma.fit(x[valued], m[valued])
    correlation = (
        float(np.corrcoef(x[valued], m[valued])[0, 1]) if valued.sum() > 2 else float("nan")
    )
    model = CustomerValueModel(purchases, spend, horizon_days, annual_discount_rate, step_days)
    report = FitReport(
        n_customers=len(frame),
        n_repeat=int(valued.sum()),
        n_repeat_without_value=int((repeat & ~valued).sum()),
        bgnbd_mean_log_likelihood=bgnbd_ll,
        gamma_gamma_mean_log_likelihood=gg_ll,
        frequency_value_correlation=correlation,
    )
    return model, report


def _summary(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in SUMMARY_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"the BTYD summary lacks {', '.join(missing)}")
    return tuple(frame[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)  # type: ignore[return-value]
