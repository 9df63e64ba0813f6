"""A night that does not train: score everyone with the registered version of a model.

Models retrain on a cadence (:mod:`pipeline.models`); on the nights between, the
version :func:`ml.tracking.schedule` names scores tonight's marts. The night is an
MLflow run of its own in the model's experiment (tagged ``scoring_only``), so the
experiment shows every night, and its result carries what the night that trained the
version returned (:data:`ml.tracking.NIGHT_RESULT`), the holdout metrics included,
which the quality gate judges as on the night it trained.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from typing import Any

from ml import drift, tracking
from ml.registry import MODELS
from warehouse.settings import Settings

#: Tag of an MLflow run that scored without training.
SCORING_ONLY_TAG = "scoring_only"
#: Keys of a training night's result that describe that night, not the version.
_OF_THAT_NIGHT = (
    "promoted",
    "train_seconds",
    "fit_seconds",
    "rows_withdrawn",
    "skipped",
    *drift.RESULT_KEYS,
)


def score_with(
    model: str, run_date: dt.date, ref: tracking.ModelRef, trained_through: str, settings: Settings
) -> dict[str, Any]:
    """Score tonight's people with the registered version ``ref`` of ``model``.

    Args:
        model: A name of :data:`ml.registry.MODELS`.
        run_date: The night's run date.
        ref: The version to score with (trained through ``trained_through``).
        trained_through: The last date its training data covers.
        settings: Paths and the MLflow store.

    Returns:
        What the night that trained ``ref`` returned (its holdout metrics and what it
        deployed), then what the model's ``score_population`` returned, ``trained``
        (False), ``champion_version``, ``trained_through``, ``days_since_training``
        and ``score_seconds``.
    """
    started = time.perf_counter()
    score_population = importlib.import_module(MODELS[model]).score_population
    chosen_on = tracking.night_result(ref, settings.mlflow_tracking_uri)
    if chosen_on is None:
        raise LookupError(f"{model} version {ref.version} has no {tracking.NIGHT_RESULT}")
    tags = {
        "run_date": str(run_date),
        SCORING_ONLY_TAG: "true",
        "scored_with_version": ref.version,
        tracking.TRAINED_THROUGH_TAG: trained_through,
    }
    with tracking.training_run(
        model, f"{model} {run_date} (scoring)", settings.mlflow_tracking_uri, tags=tags
    ):
        scorer = tracking.load_model(ref)
        scored = score_population(scorer, run_date, settings, ref.version)
        seconds = time.perf_counter() - started
        tracking.log_metrics(
            {
                "rows_scored": scored["rows_written"],
                "score_seconds": seconds,
                **{k: v for k, v in scored.items() if isinstance(v, float)},
            }
        )
    days = (run_date - dt.date.fromisoformat(trained_through)).days
    kept = {k: v for k, v in scored.items() if k != "table"}
    chosen_on = {k: v for k, v in chosen_on.items() if k not in _OF_THAT_NIGHT}
    return {
        **chosen_on,
        **kept,
        "trained": False,
        "model_version": ref.version,
        "champion_version": ref.version,
        "trained_through": trained_through,
        "days_since_training": days,
        "score_seconds": round(seconds, 2),
    }
