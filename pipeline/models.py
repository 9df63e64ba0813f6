"""The model registry of a night: ``{name: train_and_score}``, resolved lazily.

The names come from :data:`ml.registry.MODELS`; a model's package is imported only
when the model is looked up, so importing this module (and the DAG file that lists
the steps) stays cheap.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ml.registry import MODELS as _MODEL_MODULES
from pipeline.errors import DataError
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

TrainAndScore = Callable[..., dict[str, Any]]

#: The warehouse table of the models a night skipped (a dbt model, ml_model_skips).
SKIPS_TABLE = "ml.model_skips"
#: The warehouse table of what each model reported (a dbt model, ml_model_metrics).
METRICS_TABLE = "ml.model_metrics"


class _Registry(Mapping[str, TrainAndScore]):
    """Model name -> its ``train_and_score(run_date, settings=...)``, imported on lookup."""

    def __getitem__(self, name: str) -> TrainAndScore:
        if name not in _MODEL_MODULES:
            raise KeyError(f"unknown model {name!r}; expected one of {tuple(_MODEL_MODULES)}")
        return importlib.import_module(_MODEL_MODULES[name]).train_and_score

    def __contains__(self, name: object) -> bool:
        return name in _MODEL_MODULES

    def __iter__(self) -> Iterator[str]:
        return iter(_MODEL_MODULES)

    def __len__(self) -> int:
        return len(_MODEL_MODULES)


MODELS: Mapping[str, TrainAndScore] = _Registry()


def init_mlflow(settings: Settings | None = None) -> str:
    """Create the MLflow store and one experiment per model if they do not exist yet.

    Done once, in its own step, before the models train: several processes creating
    the same SQLite store at once would race.

    Returns:
        The tracking URI.
    """
    from ml.tracking import init_store

    settings = settings or load_settings()
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    init_store(settings.mlflow_tracking_uri)
    return settings.mlflow_tracking_uri


def record_skip(model: str, run_date: str, reason: str | None, settings: Settings) -> None:
    """Record in the warehouse that ``model`` was skipped on ``run_date`` (or, with
    ``reason=None``, that it was not: a re-run that trains clears an earlier skip)."""
    import pyarrow as pa

    from warehouse import db

    rows = [] if reason is None else [reason]
    data = pa.table(
        {
            "run_date": pa.array([dt.date.fromisoformat(run_date)] * len(rows), pa.date32()),
            "model": pa.array([model] * len(rows), pa.string()),
            "reason": pa.array(rows, pa.string()),
        }
    )
    db.replace_rows(
        SKIPS_TABLE,
        {"run_date": dt.date.fromisoformat(run_date), "model": model},
        data,
        settings.duckdb_path,
    )


#: Days between trainings of a model; ``PZ_RETRAIN_DAYS`` overrides it.
DEFAULT_RETRAIN_DAYS = 7
ENV_RETRAIN_DAYS = "PZ_RETRAIN_DAYS"


def retrain_days(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Days between trainings per model, from ``PZ_RETRAIN_DAYS``.

    The variable holds a number for every model and/or ``model=days`` entries:
    ``PZ_RETRAIN_DAYS=7,churn=1`` retrains churn every night and the others weekly.
    ``1`` trains every night; unset, every model trains every
    :data:`DEFAULT_RETRAIN_DAYS` days.

    Raises:
        ValueError: A malformed entry, a model that is not registered, or a number
            below 1.
    """
    env = os.environ if env is None else env
    days = dict.fromkeys(MODELS, DEFAULT_RETRAIN_DAYS)
    for entry in filter(None, (e.strip() for e in env.get(ENV_RETRAIN_DAYS, "").split(","))):
        name, _, value = entry.rpartition("=")
        name = name.strip()
        if name and name not in MODELS:
            raise ValueError(
                f"{ENV_RETRAIN_DAYS}: unknown model {name!r}; expected one of {tuple(MODELS)}"
            )
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise ValueError(
                f"{ENV_RETRAIN_DAYS}: {entry!r} is not a whole number of days of at least 1 "
                "(or model=days)"
            )
        days.update({name: number} if name else dict.fromkeys(MODELS, number))
    return days


def due_for_training(
    model: str, run_date: str, settings: Settings, every_days: int, force: bool = False
) -> tuple[bool, str, Any]:
    """Whether ``model`` trains tonight, why, and the registry's schedule for the night.

    It trains when forced, when no version trained through ``run_date`` can score, or
    when the latest training for this night's timeline is ``every_days`` or more days
    old; otherwise the night scores with :attr:`ml.tracking.Schedule.scorer`.
    """
    from ml.tracking import night_result, schedule

    plan = schedule(model, run_date, settings.mlflow_tracking_uri)
    age = plan.days_since_training(run_date)
    if force:
        return True, "retraining was asked for", plan
    if plan.scorer is None:
        return True, "no version trained through the run date can score", plan
    if night_result(plan.scorer, settings.mlflow_tracking_uri) is None:
        return True, f"version {plan.scorer.version} has no recorded training result", plan
    if age >= every_days:
        return True, f"last trained {age} days before the run date (every {every_days})", plan
    return False, f"trained {age} days before the run date (every {every_days})", plan


def keep_night_result(model: str, result: dict[str, Any], settings: Settings) -> None:
    """Keep a training night's result with the version it registered, for the nights
    that score with that version (:mod:`ml.scoring`)."""
    from ml.tracking import ModelRef, save_night_result

    version = result.get("model_version")
    if version is not None:
        save_night_result(ModelRef(model, str(version)), result, settings.mlflow_tracking_uri)


def record_metrics(model: str, run_date: str, result: Mapping[str, Any], settings: Settings) -> int:
    """Replace the model's rows of the run date in ``ml.model_metrics`` with every
    numeric entry of its result (booleans as 1 and 0); the run report reads them."""
    import math

    import pyarrow as pa

    from warehouse import db

    numbers = {
        key: float(value)
        for key, value in sorted(result.items())
        if isinstance(value, int | float) and math.isfinite(float(value))
    }
    version = result.get("champion_version")
    n = len(numbers)
    data = pa.table(
        {
            "run_date": pa.array([dt.date.fromisoformat(run_date)] * n, pa.date32()),
            "model": pa.array([model] * n, pa.string()),
            "model_version": pa.array([None if version is None else str(version)] * n, pa.string()),
            "metric": pa.array(list(numbers), pa.string()),
            "value": pa.array(list(numbers.values()), pa.float64()),
        }
    )
    return db.replace_rows(
        METRICS_TABLE,
        {"run_date": dt.date.fromisoformat(run_date), "model": model},
        data,
        settings.duckdb_path,
    )


def score(
    model: str, run_date: str, settings: Settings | None = None, retrain: bool = False
) -> dict[str, Any]:
    """Train, evaluate, register and score one model as of the run date, or, between
    trainings, score with the registered version.

    A model trains when it is due (:func:`due_for_training`: every ``PZ_RETRAIN_DAYS``,
    weekly by default, or when ``retrain`` asks for it); other nights score tonight's
    people with the version the registry names for the run date (:mod:`ml.scoring`),
    which the quality gate judges on the holdout metrics it was chosen on.

    A model the shop's history cannot train yet (:class:`~ml.errors.NotEnoughData`) is
    skipped, not failed: a warning in the log, a run tagged ``skipped`` in its MLflow
    experiment and a row in ``ml.model_skips``, which the export manifest lists with
    the audiences that needed the model. The rest of the night goes on. A model that
    trained but fails its quality gate (:mod:`pipeline.quality`: below its floor or
    its baseline on the holdout) is skipped the same way, its scores of the night
    withdrawn. The numbers of the result go to ``ml.model_metrics``; a model's drift
    from its training data (:mod:`ml.drift`) is part of the result (``drifted``).

    Args:
        model: A name of :data:`MODELS`.
        run_date: The run date, ``YYYY-MM-DD``.
        settings: Where the warehouse and MLflow store are.
        retrain: Train tonight whatever the cadence says.

    Returns:
        The metrics ``train_and_score`` (or :func:`ml.scoring.score_with`) returned,
        with ``trained`` and ``training_reason``, made JSON-safe for XCom, or
        ``{"skipped": reason}``; a model stopped by its gate returns its metrics with
        ``skipped`` and ``rows_withdrawn``.

    Raises:
        ValueError: ``model`` is not registered.
        DataError: The model cannot train or score on the data as of the run date (the
            model raised ``ValueError``, as scikit-learn does on too few samples):
            retrying on the same data fails the same way.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {tuple(MODELS)}")
    from ml.errors import NotEnoughData

    settings = settings or load_settings()
    every_days = retrain_days()[model]
    from ml.features import check_built_for
    from ml.registry import INPUT_TABLES

    try:
        check_built_for(dt.date.fromisoformat(run_date), INPUT_TABLES[model], settings.duckdb_path)
    except ValueError as exc:
        raise DataError(f"the {model} model cannot run for {run_date}: {exc}") from exc
    try:
        due, why, plan = due_for_training(model, run_date, settings, every_days, retrain)
        if due:
            log.info("%s trains on %s: %s", model, run_date, why)
            result = MODELS[model](dt.date.fromisoformat(run_date), settings=settings)
            result = {**json.loads(json.dumps(result, default=str)), "trained": True}
            keep_night_result(model, result, settings)
        else:
            from ml.scoring import score_with

            log.info(
                "%s scores with version %s on %s: %s", model, plan.scorer.version, run_date, why
            )
            result = score_with(
                model,
                dt.date.fromisoformat(run_date),
                plan.scorer,
                plan.scorer_trained_through,
                settings,
            )
        result["training_reason"] = why
    except NotEnoughData as skip:
        from ml.tracking import record_skip as track_skip

        log.warning("%s skipped on %s: %s", model, run_date, skip.reason)
        track_skip(model, run_date, skip.reason, settings.mlflow_tracking_uri)
        record_skip(model, run_date, skip.reason, settings)
        record_metrics(model, run_date, {}, settings)
        from ml.drift import clear

        clear(model, dt.date.fromisoformat(run_date), settings)
        return {"skipped": skip.reason}
    except ValueError as exc:
        reason = " ".join(str(exc).split())[:300]
        raise DataError(
            f"the {model} model cannot train on the data as of {run_date}: {reason}; "
            "check that the marts it reads have rows for that date (dbt_build_marts)"
        ) from exc
    from pipeline import quality

    reason = quality.failure(model, result, quality.load_gates())
    if reason is not None:
        from ml.tracking import record_skip as track_skip

        withdrawn = quality.withdraw(model, run_date, settings)
        log.warning(
            "%s did not pass on %s, its %d rows withdrawn: %s", model, run_date, withdrawn, reason
        )
        track_skip(model, run_date, reason, settings.mlflow_tracking_uri)
        record_skip(model, run_date, reason, settings)
        result = {**result, "skipped": reason, "rows_withdrawn": withdrawn}
        record_metrics(model, run_date, result, settings)
        return json.loads(json.dumps(result, default=str))
    record_skip(model, run_date, None, settings)
    record_metrics(model, run_date, result, settings)
    log.info("%s: %s", model, result)
    return json.loads(json.dumps(result, default=str))
