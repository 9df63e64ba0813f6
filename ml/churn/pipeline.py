"""Train, evaluate, register and score the churn model as of a run date."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ml import drift, plots, tracking
from ml.churn import btyd
from ml.churn.data import LABEL, load_horizon_days, load_scoring_frame, load_training_frame
from ml.churn.model import (
    RISK_BANDS,
    ChurnModel,
    best_f1_threshold,
    classification_metrics,
    fit_churn_model,
    fit_logistic,
    recency_weights,
    risk_band,
)
from ml.errors import NotEnoughData
from ml.features import ID_COLUMN, numeric_columns
from warehouse import db
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

MODEL_NAME = "churn"
OUTPUT_TABLE = "ml.churn_scores"
#: Holdout rows explained with exact TreeSHAP for the logged summary and importance.
SHAP_SAMPLE_ROWS = 5_000
#: The candidates in order of simplicity: a tie on the holdout goes to the earlier one.
CANDIDATES = ("btyd", "logistic", "xgboost")
#: Training examples count half as much for every this many days their cutoff is older
#: than the latest training cutoff.
RECENCY_HALF_LIFE_DAYS = 30.0
_NOT_FEATURES = (ID_COLUMN, "cutoff_date", LABEL)


def split_by_time(examples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fit, validation and holdout sets by cutoff date.

    The holdout is the latest labelled cutoff, validation the one before it, and the fit
    set every earlier cutoff. With only two cutoffs, validation is the later half of
    the people of the earlier cutoff (by a stable hash of person_id).

    Raises:
        NotEnoughData: Fewer than two labelled cutoffs, or a set without both a churned
            and a retained example: the history is too short to learn or judge churn.
    """
    cutoffs = sorted(examples["cutoff_date"].unique())
    if len(cutoffs) < 2:
        raise NotEnoughData(
            MODEL_NAME,
            f"needs at least two labelled cutoffs before the run date, found {len(cutoffs)} "
            "(a cutoff is labelled once its churn horizon has passed)",
        )
    holdout = examples[examples["cutoff_date"] == cutoffs[-1]]
    if len(cutoffs) >= 3:
        valid = examples[examples["cutoff_date"] == cutoffs[-2]]
        fit = examples[examples["cutoff_date"] < cutoffs[-2]]
    else:
        earlier = examples[examples["cutoff_date"] == cutoffs[0]]
        in_valid = pd.util.hash_pandas_object(earlier[ID_COLUMN], index=False) % 4 == 0
        fit, valid = earlier[~in_valid.to_numpy()], earlier[in_valid.to_numpy()]
    for name, part in (("fit", fit), ("validation", valid), ("holdout", holdout)):
        labels = set(part[LABEL].astype(bool))
        if labels != {True, False}:
            found = ("only churned" if True in labels else "only retained") if labels else "no"
            raise NotEnoughData(
                MODEL_NAME, f"the {name} set has {found} examples: both labels are needed"
            )
    return fit, valid, holdout


def score_frame(model: Any, frame: pd.DataFrame, run_date: dt.date, version: str) -> pd.DataFrame:
    """The rows of ml.churn_scores for ``frame`` scored by a churn candidate ``model``."""
    proba = model.predict_proba(frame)
    return pd.DataFrame(
        {
            "run_date": run_date,
            ID_COLUMN: frame[ID_COLUMN].to_numpy(),
            "churn_probability": proba.astype(float),
            "risk_band": risk_band(proba),
            "top_reasons": model.top_reasons(frame),
            "model_version": version,
        }
    )


def score_population(
    scorer: Any,
    run_date: dt.date,
    settings: Settings,
    version: str,
    purchases: dict[dt.date, Any] | None = None,
    horizon_days: int | None = None,
    seed: int = 42,
    reference: dict[str, Any] | None = None,
    trained_version: str | None = None,
) -> dict[str, Any]:
    """Score ``marts.churn_scoring_population`` with ``scorer`` into ml.churn_scores.

    The BTYD features of the run date come from ``purchases`` (the BG/NBD fits of a
    training night) or, on a night that only scores, from a BG/NBD fit on the run
    date's summaries, as a training night makes for its own scoring. Drift against
    the scoring version's training data is measured (:func:`ml.drift.measure`;
    ``reference`` and ``trained_version`` on a training night).

    Returns:
        ``rows_written``, the share of people in each risk band and the drift keys.
    """
    path = settings.duckdb_path
    if horizon_days is None:
        horizon_days = load_horizon_days(path)
    if purchases is None or run_date not in purchases:
        purchases = btyd.fit_per_cutoff([run_date], path, seed=seed)
    population = btyd.add_features(
        load_scoring_frame(run_date, path), purchases, horizon_days, cutoff=run_date
    )
    output = score_frame(scorer, population, run_date, version)
    drifted = drift.measure(
        MODEL_NAME,
        run_date,
        version,
        population,
        {"churn_probability": output["churn_probability"]},
        settings,
        reference,
        trained_version,
    )
    rows = db.replace_partition(
        OUTPUT_TABLE,
        "run_date",
        run_date,
        pa.Table.from_pandas(output, preserve_index=False),
        path,
    )
    bands = output["risk_band"].value_counts(normalize=True) if rows else pd.Series(dtype=float)
    return {
        "rows_written": rows,
        **{f"share_{band}_risk": float(bands.get(band, 0.0)) for _, band in RISK_BANDS},
        **drifted,
    }


def fit_candidates(
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    features: list[str],
    seed: int,
    threads: int,
    half_life_days: float,
) -> dict[str, Any]:
    """The three candidates, each with its churner threshold chosen on ``valid``.

    * ``btyd``: the BG/NBD baseline, its expected purchases calibrated on ``valid``.
    * ``logistic``: logistic regression on every feature, BTYD ones included, fitted on
      ``fit`` and ``valid`` together, examples weighted by the recency of their cutoff.
    * ``xgboost``: XGBoost on the same features, fitted on ``fit`` with the same
      weights and calibrated (Platt) on ``valid``.
    """
    y_fit, y_valid = (s[LABEL].to_numpy(dtype=int) for s in (fit, valid))
    both = pd.concat([fit, valid], ignore_index=True)
    baseline = btyd.BTYDChurnModel.fit(valid, y_valid)
    logistic = fit_logistic(
        both,
        both[LABEL].to_numpy(dtype=int),
        features,
        weights=recency_weights(both["cutoff_date"], half_life_days),
    )
    xgboost = fit_churn_model(
        fit,
        y_fit,
        valid,
        y_valid,
        features,
        seed=seed,
        threads=threads,
        weights=recency_weights(fit["cutoff_date"], half_life_days),
    )
    for model in (baseline, logistic):
        model.threshold = best_f1_threshold(y_valid, model.predict_proba(valid))
    return {"btyd": baseline, "logistic": logistic, "xgboost": xgboost}


def choose(metrics: dict[str, dict[str, float]]) -> str:
    """The candidate with the highest holdout AUC; ties go to the simpler (earlier) one."""
    return max(CANDIDATES, key=lambda kind: (metrics[kind]["auc_roc"], -CANDIDATES.index(kind)))


def train_and_score(
    run_date: dt.date,
    settings: Settings | None = None,
    seed: int = 42,
    threads: int = 2,
    half_life_days: float = RECENCY_HALF_LIFE_DAYS,
) -> dict[str, Any]:
    """Train the churn candidates on historical cutoffs, deploy the best on the holdout
    and score everyone active in the last year.

    Every cutoff, and the run date, gets its own BG/NBD fit on the BTYD summaries as of
    then; its expected purchases in the horizon and probability alive join the features
    (:mod:`ml.churn.btyd`). The BTYD baseline, logistic regression and XGBoost are
    compared by AUC on the holdout cutoff; the best deploys (ties: the simpler).

    Args:
        run_date: The last complete day of data.
        settings: Paths and the MLflow store; from the environment when omitted.
        seed: Random seed of every stochastic step.
        threads: CPU threads XGBoost may use.
        half_life_days: Recency weighting of the training examples by cutoff age.

    Returns:
        Holdout metrics of the deployed candidate, of the BTYD baseline (``baseline_``)
        and the AUC of each candidate, the lift over the baseline, the champion
        decision and the number of rows written.
    """
    settings = settings or load_settings()
    started = time.perf_counter()
    examples = load_training_frame(run_date, settings.duckdb_path)
    fit, valid, holdout = split_by_time(examples)
    horizon_days = load_horizon_days(settings.duckdb_path)
    cutoffs = sorted({*examples["cutoff_date"].unique(), run_date})
    purchases = btyd.fit_per_cutoff(cutoffs, settings.duckdb_path, seed=seed)
    fit, valid, holdout = (
        btyd.add_features(s, purchases, horizon_days) for s in (fit, valid, holdout)
    )
    features = numeric_columns(holdout, exclude=_NOT_FEATURES)
    y_holdout = holdout[LABEL].to_numpy(dtype=int)
    log.info(
        "churn: %d fit, %d validation, %d holdout examples, %d features",
        len(fit),
        len(valid),
        len(holdout),
        len(features),
    )

    candidates = fit_candidates(fit, valid, features, seed, threads, half_life_days)
    probabilities = {kind: model.predict_proba(holdout) for kind, model in candidates.items()}
    candidate_metrics = {
        kind: classification_metrics(y_holdout, probabilities[kind], candidates[kind].threshold)
        for kind in CANDIDATES
    }
    kind = choose(candidate_metrics)
    model = candidates[kind]
    metrics = candidate_metrics[kind]
    baseline_metrics = candidate_metrics["btyd"]
    lift = metrics["auc_roc"] - baseline_metrics["auc_roc"]
    train_seconds = time.perf_counter() - started
    xgboost: ChurnModel = candidates["xgboost"]

    holdout_cutoff = holdout["cutoff_date"].iloc[0]
    params = {
        "run_date": run_date,
        "seed": seed,
        "shap_sample_rows": SHAP_SAMPLE_ROWS,
        "horizon_days": horizon_days,
        "deployed_kind": kind,
        "recency_half_life_days": half_life_days,
        "holdout_cutoff": holdout_cutoff,
        "n_fit": len(fit),
        "n_valid": len(valid),
        "n_holdout": len(holdout),
        "n_features": len(features),
        "threshold": model.threshold,
        **{
            f"xgb_{k}": v
            for k, v in xgboost.booster.get_params().items()
            if k
            in (
                "n_estimators",
                "max_depth",
                "learning_rate",
                "subsample",
                "colsample_bytree",
                "min_child_weight",
            )
        },
        "calibration": "sigmoid on the validation cutoff",
    }
    with tracking.training_run(
        "churn", f"churn {run_date}", settings.mlflow_tracking_uri, tags={"run_date": str(run_date)}
    ):
        tracking.log_params(params)
        tracking.log_dataset(examples, "churn_examples")
        tracking.log_metrics(
            {
                **metrics,
                "holdout_churn_rate": float(y_holdout.mean()),
                "train_seconds": train_seconds,
            }
        )
        tracking.log_metrics(
            {
                **{f"{c}_{k}": v for c, m in candidate_metrics.items() for k, v in m.items()},
                **{f"baseline_{k}": v for k, v in baseline_metrics.items()},
                "lift_over_btyd": lift,
            }
        )
        tracking.log_dict(
            {f"{c}_{k}": v for c, m in candidate_metrics.items() for k, v in m.items()},
            "candidates.json",
        )
        scores = {
            "BTYD (minus expected purchases)": btyd.baseline_score(holdout),
            "logistic regression": probabilities["logistic"],
            "xgboost (calibrated)": probabilities["xgboost"],
        }
        tracking.log_figure(plots.roc(y_holdout, scores), "plots/roc.png")
        tracking.log_figure(plots.precision_recall(y_holdout, scores), "plots/pr.png")
        tracking.log_figure(
            plots.calibration(y_holdout, {k: v for k, v in scores.items() if "BTYD" not in k}),
            "plots/calibration.png",
        )
        # Exact TreeSHAP on a sample: global importance needs no more rows.
        explained = holdout.sample(min(len(holdout), SHAP_SAMPLE_ROWS), random_state=seed)
        contributions = xgboost.contributions(explained)
        tracking.log_figure(
            plots.shap_summary(contributions, explained[features]), "plots/shap_summary.png"
        )
        importance = pd.Series(np.abs(contributions).mean(axis=0), index=features)
        tracking.log_dict(importance.sort_values(ascending=False).to_dict(), "shap_importance.json")
        ref = tracking.log_model(
            model,
            MODEL_NAME,
            holdout[[ID_COLUMN, *features]].head(5),
            requirements=["xgboost-cpu", "scikit-learn"],
        )
        decision = tracking.promote_as_of(
            ref,
            metrics["auc_roc"],
            lambda champion: classification_metrics(
                y_holdout, champion.predict_proba(holdout), champion.threshold
            )["auc_roc"],
            metric_name="auc_roc",
            run_date=str(run_date),
        )
        scorer = model if decision.promoted else tracking.load_model(decision.champion)
        trained_on = pd.concat([fit, valid], ignore_index=True)
        reference = drift.reference_of(
            trained_on, features, {"churn_probability": model.predict_proba(trained_on)}
        )
        scored = score_population(
            scorer,
            run_date,
            settings,
            decision.champion.version,
            purchases,
            horizon_days,
            reference=reference,
            trained_version=decision.new.version,
        )
        rows = scored["rows_written"]
        drifted = {k: scored[k] for k in drift.RESULT_KEYS if k in scored}
        tracking.log_metrics({"rows_scored": rows, "total_seconds": time.perf_counter() - started})
    log.info(
        "churn: holdout AUC %s; deploying %s (%+.4f over BTYD), %d people scored with version %s",
        ", ".join(f"{c} {m['auc_roc']:.4f}" for c, m in candidate_metrics.items()),
        kind,
        lift,
        rows,
        decision.champion.version,
    )
    return {
        **metrics,
        **{f"baseline_{k}": v for k, v in baseline_metrics.items()},
        **{f"{c}_auc_roc": m["auc_roc"] for c, m in candidate_metrics.items()},
        "deployed_kind": kind,
        "lift_over_btyd": lift,
        "threshold": model.threshold,
        "holdout_cutoff": str(holdout_cutoff),
        "n_train": len(fit) + len(valid),
        "n_holdout": len(holdout),
        "model_version": decision.new.version,
        "champion_version": decision.champion.version,
        "promoted": decision.promoted,
        "rows_written": rows,
        "train_seconds": round(train_seconds, 2),
        **drifted,
    }
