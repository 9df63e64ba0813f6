"""Buy-Till-You-Die quantities for churn: BG/NBD per cutoff, its features and its baseline.

Every cutoff of the churn examples (and the run date, for scoring) gets its own BG/NBD
fit on the BTYD summaries of everyone with a revenue order by then
(``marts.btyd_summaries_at_cutoffs``), so a feature at a cutoff uses nothing after it.
Each person at the cutoff then gets two features from that fit: the expected purchase
days in the churn horizon and the probability of being alive. Minus the expected
purchases is the classical churn baseline, and :class:`BTYDChurnModel` makes it a
candidate that can deploy: the same ranking, with probabilities calibrated on the
validation cutoff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.value import bgnbd
from ml.value.bgnbd import BGNBDParams
from warehouse import db

SUMMARIES_TABLE = "marts.btyd_summaries_at_cutoffs"
FREQUENCY = "btyd_frequency"
RECENCY = "btyd_recency_days"
AGE = "btyd_t_days"
EXPECTED = "btyd_expected_purchases"
ALIVE = "btyd_probability_alive"
#: The features a BG/NBD fit adds to the examples (after the four summary columns).
DERIVED_FEATURES = (EXPECTED, ALIVE)
#: Added to expected purchases before the log of the calibration (some are ~0).
_LOG_FLOOR = 1e-4


#: Above this many people at a cutoff, the fit uses a seeded sample of this size: the
#: four population parameters are about as well determined (on a million summaries
#: drawn with CDNOW's parameters, within 2% of the fit on all), and the fit of a
#: million takes ten times as long as that of 100,000.
FIT_SAMPLE = 100_000


def fit_per_cutoff(
    cutoffs: list[dt.date],
    path: Path | None = None,
    sample: int = FIT_SAMPLE,
    seed: int = 42,
) -> dict[dt.date, BGNBDParams]:
    """One BG/NBD fit per cutoff on everyone's BTYD summary as of that cutoff.

    The summaries are read as distinct ``(x, t_x, T)`` rows with their counts, which is
    all the likelihood needs, so the read stays small at any shop size. With more than
    ``sample`` people at a cutoff, ``sample`` of them are drawn (seeded, without
    replacement) for the fit; the rows are read in a fixed order, as a parallel group
    by returns them in any, so the same seed draws the same people.

    Raises:
        ValueError: A cutoff without summaries (the mart was built for another run
            date) or a fit that does not converge.
    """
    sql = f"""
        select cutoff_date, {FREQUENCY} as x, {RECENCY} as t_x, {AGE} as t, count(*) as n
        from {SUMMARIES_TABLE}
        where cutoff_date in (select unnest($cutoffs))
        group by all
        order by cutoff_date, x, t_x, t
    """
    grouped = db.read_arrow(sql, {"cutoffs": list(cutoffs)}, path).to_pandas()
    params = {}
    for cutoff in cutoffs:
        part = grouped[grouped["cutoff_date"] == cutoff]
        if part.empty:
            raise ValueError(
                f"{SUMMARIES_TABLE} has no rows for cutoff {cutoff}: run dbt for this run date"
            )
        counts = part["n"].to_numpy(dtype=int)
        if counts.sum() > sample:
            rng = np.random.default_rng(seed)
            counts = rng.multivariate_hypergeometric(counts, sample)
        x, t_x, big_t = (
            np.repeat(part[c].to_numpy(dtype=float), counts) for c in ("x", "t_x", "t")
        )
        params[cutoff], _ = bgnbd.fit(x, t_x, big_t)
    return params


def add_features(
    frame: pd.DataFrame,
    params: Mapping[dt.date, BGNBDParams],
    horizon_days: int,
    cutoff: dt.date | None = None,
) -> pd.DataFrame:
    """``frame`` with the BG/NBD features of each row from its cutoff's fit.

    Args:
        frame: Rows with the BTYD summary columns and, unless ``cutoff`` is given, a
            ``cutoff_date`` column.
        params: The fit of every cutoff in the frame.
        horizon_days: The churn horizon the expected purchases are counted over.
        cutoff: The one cutoff of every row (the run date, for scoring).
    """
    out = frame.copy()
    out[EXPECTED] = 0.0
    out[ALIVE] = 0.0
    dates = np.full(len(out), cutoff, dtype=object) if cutoff else out["cutoff_date"].to_numpy()
    for date in pd.unique(dates):
        rows = dates == date
        summary = [out.loc[rows, c].to_numpy(dtype=float) for c in (FREQUENCY, RECENCY, AGE)]
        out.loc[rows, EXPECTED] = bgnbd.expected_purchases(params[date], horizon_days, *summary)
        out.loc[rows, ALIVE] = bgnbd.probability_alive(params[date], *summary)
    return out


def baseline_score(frame: pd.DataFrame) -> np.ndarray:
    """The classical BTYD churn score: minus the expected purchases in the horizon."""
    return -frame[EXPECTED].to_numpy(dtype=float)


@dataclass
class BTYDChurnModel:
    """The BTYD baseline as a deployable model: churn probability from expected purchases.

    A logistic map of log expected purchases, fitted on the validation cutoff, turns
    the baseline's ranking into calibrated probabilities (it is monotone, so the ranking
    and the AUC are the baseline's).

    Attributes:
        calibration: Logistic regression on ``log(expected purchases)``.
        threshold: Probability above which a person counts as a churner (max F1 on
            validation).
        medians: Validation medians of the BTYD columns, for the reasons.
    """

    kind: ClassVar[str] = "btyd"
    features: ClassVar[list[str]] = [EXPECTED, ALIVE, FREQUENCY]
    calibration: LogisticRegression
    threshold: float = 0.5
    medians: dict[str, float] = field(default_factory=dict)

    @classmethod
    def fit(cls, valid: pd.DataFrame, y_valid: np.ndarray) -> BTYDChurnModel:
        """Fit the calibration on the validation examples (threshold set by the caller)."""
        calibration = LogisticRegression().fit(_log_expected(valid), y_valid)
        medians = {c: float(valid[c].median()) for c in cls.features}
        return cls(calibration, 0.5, medians)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of no order within the horizon, per row."""
        return self.calibration.predict_proba(_log_expected(frame))[:, 1]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Same as ``predict_proba`` (the generic model interface)."""
        return self.predict_proba(frame)

    def top_reasons(self, frame: pd.DataFrame, n: int = 3) -> list[str]:
        """Each row's expected purchases, probability alive and frequency against the
        medians: fewer of any of them raises the risk."""
        parts = []
        for column in self.features[:n]:
            low = frame[column].to_numpy(dtype=float) <= self.medians.get(column, 0.0)
            parts.append(
                np.where(low, f"low {column} (raises risk)", f"high {column} (lowers risk)")
            )
        return ["; ".join(row) for row in zip(*parts, strict=True)]


def _log_expected(frame: pd.DataFrame) -> np.ndarray:
    return np.log(frame[EXPECTED].to_numpy(dtype=float) + _LOG_FLOOR)[:, None]
