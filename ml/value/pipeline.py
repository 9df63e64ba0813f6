"""Fit, register and score the customer value model as of a run date."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ml import drift, tracking
from ml.errors import NotEnoughData
from ml.features import ID_COLUMN
from ml.value import bgnbd
from ml.value.data import load_summary
from ml.value.model import (
    FREQUENCY,
    MONETARY,
    SUMMARY_COLUMNS,
    CustomerValueModel,
    fit_value_model,
)
from warehouse import db
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

MODEL_NAME = "customer_value"
OUTPUT_TABLE = "ml.customer_value"
#: Fewest repeat customers (with a positive repeat value) the two fits are attempted on.
MIN_REPEAT_CUSTOMERS = 10


def purchase_log_likelihood(model: CustomerValueModel, frame: pd.DataFrame) -> float:
    """Mean BG/NBD log-likelihood per person of ``frame`` under ``model``'s parameters."""
    x, t_x, big_t = (frame[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS[:3])
    return float(bgnbd.log_likelihood(model.purchases, x, t_x, big_t).mean())


def score_frame(
    model: CustomerValueModel, frame: pd.DataFrame, run_date: dt.date, version: str
) -> pd.DataFrame:
    """The rows of ml.customer_value for ``frame``."""
    predictions = model.predict(frame)
    output = pd.DataFrame(
        {
            "run_date": pd.Series([run_date] * len(frame), dtype="object"),
            ID_COLUMN: frame[ID_COLUMN].to_numpy(),
        }
    )
    for column in predictions.columns:
        output[column] = predictions[column].to_numpy(dtype=float)
    output["model_version"] = version
    return output


def score_population(
    scorer: CustomerValueModel,
    run_date: dt.date,
    settings: Settings,
    version: str,
    frame: pd.DataFrame | None = None,
    reference: dict[str, Any] | None = None,
    trained_version: str | None = None,
) -> dict[str, Any]:
    """Score everyone of ``marts.customer_rfm`` with ``scorer`` into ml.customer_value.

    Drift against the scoring version's training data is measured
    (:func:`ml.drift.measure`; ``reference`` and ``trained_version`` on a training night).

    Returns:
        ``rows_written``, the mean probability alive, mean expected purchases in 90
        days, total and median CLV, and the drift keys.
    """
    if frame is None:
        frame = load_summary(settings.duckdb_path)
    output = score_frame(scorer, frame, run_date, version)
    drifted = drift.measure(
        MODEL_NAME,
        run_date,
        version,
        frame,
        {"clv": output["clv"]},
        settings,
        reference,
        trained_version,
    )
    rows = db.replace_partition(
        OUTPUT_TABLE,
        "run_date",
        run_date,
        pa.Table.from_pandas(output, preserve_index=False),
        settings.duckdb_path,
    )
    return {
        "rows_written": rows,
        "mean_probability_alive": float(output["probability_alive"].mean()) if rows else 0.0,
        "mean_expected_purchases_90d": (
            float(output["expected_purchases_90d"].mean()) if rows else 0.0
        ),
        "total_clv": float(output["clv"].sum()),
        "median_clv": float(np.median(output["clv"])) if rows else 0.0,
        **drifted,
    }


def train_and_score(
    run_date: dt.date,
    settings: Settings | None = None,
    seed: int = 42,
    horizon_days: int = 365,
    annual_discount_rate: float = 0.10,
) -> dict[str, Any]:
    """Fit BG/NBD and Gamma-Gamma on ``marts.customer_rfm`` and write ml.customer_value.

    The fits are deterministic maximum likelihood; ``seed`` is accepted (and logged)
    like every model's. The new version becomes champion when its purchase
    log-likelihood on today's summary is at least the champion's there, which a
    maximum-likelihood fit on that same summary always reaches: the comparison keeps
    the registry's aliases consistent with the other models rather than test quality.

    Args:
        run_date: The run date the marts were built for (keys the output rows).
        settings: Paths and the MLflow store; from the environment when omitted.
        seed: Random seed (unused by the fits).
        horizon_days: CLV horizon in days.
        annual_discount_rate: Yearly discount rate of the CLV (0.10 = 10 %).

    Returns:
        The fitted parameters, fit statistics, the versions and the rows written.

    Raises:
        NotEnoughData: Fewer than :data:`MIN_REPEAT_CUSTOMERS` repeat customers.
        ValueError: A fit that cannot be done.
    """
    settings = settings or load_settings()
    started = time.perf_counter()
    frame = load_summary(settings.duckdb_path)
    repeat = int(((frame[FREQUENCY] > 0) & (frame[MONETARY] > 0)).sum())
    if repeat < MIN_REPEAT_CUSTOMERS:
        raise NotEnoughData(
            MODEL_NAME,
            f"{repeat} repeat customers with a positive repeat value in marts.customer_rfm "
            f"({len(frame)} people); BG/NBD and Gamma-Gamma need at least {MIN_REPEAT_CUSTOMERS}",
        )
    model, report = fit_value_model(frame, horizon_days, annual_discount_rate)
    fit_seconds = time.perf_counter() - started
    log.info(
        "customer value: %d people (%d repeat), BG/NBD %s, Gamma-Gamma %s",
        report.n_customers,
        report.n_repeat,
        model.purchases,
        model.spend,
    )
    if report.n_repeat_without_value:
        log.warning(
            "customer value: %d repeat customers have no positive repeat value and are "
            "left out of the Gamma-Gamma fit",
            report.n_repeat_without_value,
        )
    parameters = {
        **{f"bgnbd_{k}": v for k, v in model.purchases.as_dict().items()},
        **{f"gamma_gamma_{k}": v for k, v in model.spend.as_dict().items()},
    }

    with tracking.training_run(
        MODEL_NAME,
        f"{MODEL_NAME} {run_date}",
        settings.mlflow_tracking_uri,
        tags={"run_date": str(run_date)},
    ):
        tracking.log_params(
            {
                "run_date": run_date,
                "seed": seed,
                "horizon_days": horizon_days,
                "annual_discount_rate": annual_discount_rate,
                "discount_step_days": model.step_days,
                "time_unit": "day",
                "n_people": report.n_customers,
                "n_repeat": report.n_repeat,
            }
        )
        tracking.log_dataset(frame, "btyd_summary")
        tracking.log_metrics(
            {
                **parameters,
                "population_mean_order_value": model.spend.population_mean,
                "bgnbd_mean_log_likelihood": report.bgnbd_mean_log_likelihood,
                "gamma_gamma_mean_log_likelihood": report.gamma_gamma_mean_log_likelihood,
                "frequency_value_correlation": report.frequency_value_correlation,
                "repeat_without_value": report.n_repeat_without_value,
                "fit_seconds": fit_seconds,
            }
        )
        tracking.log_dict(parameters, "fitted_parameters.json")
        ref = tracking.log_model(
            model, MODEL_NAME, frame[[ID_COLUMN, *SUMMARY_COLUMNS]].head(5), requirements=["scipy"]
        )
        decision = tracking.promote_as_of(
            ref,
            report.bgnbd_mean_log_likelihood,
            lambda champion: purchase_log_likelihood(champion, frame),
            metric_name="bgnbd_mean_log_likelihood",
            run_date=str(run_date),
        )
        scorer = model if decision.promoted else tracking.load_model(decision.champion)
        trained = score_frame(model, frame, run_date, ref.version)
        reference = drift.reference_of(frame, list(SUMMARY_COLUMNS), {"clv": trained["clv"]})
        summary = score_population(
            scorer,
            run_date,
            settings,
            decision.champion.version,
            frame,
            reference=reference,
            trained_version=decision.new.version,
        )
        rows = summary.pop("rows_written")
        drifted = {k: summary.pop(k) for k in drift.RESULT_KEYS if k in summary}
        tracking.log_metrics(
            {**summary, "rows_scored": rows, "total_seconds": time.perf_counter() - started}
        )
    log.info(
        "customer value: %d people scored with version %s, total CLV %.0f over %d days",
        rows,
        decision.champion.version,
        summary["total_clv"],
        horizon_days,
    )
    return {
        **{k: round(v, 6) for k, v in parameters.items()},
        "population_mean_order_value": round(model.spend.population_mean, 4),
        "n_people": report.n_customers,
        "n_repeat": report.n_repeat,
        **{k: round(v, 4) for k, v in summary.items()},
        "model_version": decision.new.version,
        "champion_version": decision.champion.version,
        "promoted": decision.promoted,
        "rows_written": rows,
        "fit_seconds": round(fit_seconds, 2),
        **drifted,
    }
