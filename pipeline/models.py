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


def score(model: str, run_date: str, settings: Settings | None = None) -> dict[str, Any]:
    """Train, evaluate, register and score one model as of the run date.

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

    Returns:
        The metrics ``train_and_score`` returned, made JSON-safe for XCom, or
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
    try:
        result = MODELS[model](dt.date.fromisoformat(run_date), settings=settings)
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
