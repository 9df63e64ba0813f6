"""Drift: how far tonight's model inputs and scores are from the data the model learnt on.

The population stability index (PSI) of one column compares the share of rows in each
bin of a reference distribution (``e``) with tonight's share in the same bins (``a``;
the bins are the training deciles, one bin below and one above the training range, and
one for missing values):
``PSI = sum((a_i - e_i) * ln(a_i / e_i))``, shares floored at :data:`SHARE_FLOOR` so an
empty bin counts as nearly empty rather than infinitely far. Rule of thumb: below 0.1
stable, 0.1 to 0.2 a moderate shift, 0.2 and above a shift worth acting on (the default
threshold, ``PZ_DRIFT_PSI_WARN``).

The reference is the training data of the version that scores tonight. Every training
run stores it beside its model (:data:`REFERENCE_ARTIFACT`: per column the bin edges,
the deciles of the training values, and the training shares, numbers only), so a night
scored by an earlier champion compares with that champion's training data without
retraining. :func:`check` logs the PSI of every feature and score to the night's MLflow
run (metrics ``psi.feature.<name>`` and ``psi.score.<name>``, artifact
:data:`RESULT_ARTIFACT`) and writes them to ``ml.feature_drift``; what reaches the
threshold is logged as a warning and returned, and the export manifest and run report
list it. With ``PZ_DRIFT_FAIL=1`` the night fails before publishing
(:mod:`pipeline.export`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ml import tracking
from warehouse import db
from warehouse.settings import Settings

log = logging.getLogger(__name__)

#: Where a training run keeps its reference distributions.
REFERENCE_ARTIFACT = "drift/reference.json"
#: Where a night's run keeps the PSI it measured.
RESULT_ARTIFACT = "drift/psi.json"
#: The warehouse table of every night's PSI (a dbt model, ml_feature_drift).
DRIFT_TABLE = "ml.feature_drift"
#: Bins per column: the reference's deciles (fewer where values repeat).
BINS = 10
#: The smallest share a bin counts with, so an empty bin gives a finite PSI.
SHARE_FLOOR = 1e-4
FEATURE = "feature"
SCORE = "score"
#: Status of a column: below the threshold, at or above it, or no reference to compare.
OK, DRIFT, NO_REFERENCE = "ok", "drift", "no_reference"
_FORMAT = 1


def bin_edges(values: np.ndarray, bins: int = BINS) -> list[float]:
    """The edges of ``bins`` quantile bins of ``values`` (NaN ignored), distinct, with a
    bin below the smallest value and one above the largest.

    Edges are values of the data (the inverted empirical CDF), so a count or a flag is
    binned at its own values and a column with few distinct values gets fewer bins.
    The two outer bins are empty in the reference: a value outside the training range
    falls there, so even a constant training column shows a shift.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return []
    inner = np.quantile(finite, np.arange(1, bins) / bins, method="inverted_cdf")
    lowest = float(np.nextafter(finite.min(), -np.inf))
    return sorted({lowest, *(float(e) for e in inner), float(finite.max())})


def bin_shares(values: np.ndarray, edges: Sequence[float]) -> list[float]:
    """Share of ``values`` in each bin of ``edges``, then the share missing (NaN, None).

    Bins are closed on the right: ``(-inf, e_0], (e_0, e_1], …, (e_last, inf)``.
    """
    array = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    total = array.size
    if total == 0:
        return [0.0] * (len(edges) + 2)
    missing = ~np.isfinite(array)
    index = np.searchsorted(np.asarray(edges, dtype=float), array[~missing], side="left")
    counts = np.bincount(index, minlength=len(edges) + 1)
    return [float(c) / total for c in counts] + [float(missing.sum()) / total]


def psi(expected: Sequence[float], actual: Sequence[float], floor: float = SHARE_FLOOR) -> float:
    """The population stability index of ``actual`` shares against ``expected`` shares.

    Both are shares of the same bins (each summing to 1); a share below ``floor`` counts
    as ``floor``.
    """
    if len(expected) != len(actual):
        raise ValueError(f"{len(expected)} reference bins against {len(actual)} bins")
    e = np.maximum(np.asarray(expected, dtype=float), floor)
    a = np.maximum(np.asarray(actual, dtype=float), floor)
    return float(np.sum((a - e) * np.log(a / e)))


def reference_of(
    frame: pd.DataFrame, features: Sequence[str], scores: Mapping[str, Any], bins: int = BINS
) -> dict[str, Any]:
    """The reference distributions of a model's training data: features and scores.

    Args:
        frame: The rows the model was trained on.
        features: Its feature columns.
        scores: Score name -> the model's scores on (a sample of) its training rows.
        bins: Quantile bins per column.

    Returns:
        A JSON-safe dict: per column its kind, bin edges, shares and the row count.
    """
    columns: dict[str, dict[str, Any]] = {}
    for kind, named in ((FEATURE, {f: frame[f] for f in features}), (SCORE, scores)):
        for name, values in named.items():
            array = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
            edges = bin_edges(array, bins)
            columns[f"{kind}:{name}"] = {
                "kind": kind,
                "name": name,
                "edges": edges,
                "shares": bin_shares(array, edges),
                "rows": int(array.size),
            }
    return {"format": _FORMAT, "bins": bins, "columns": columns}


@dataclass(frozen=True)
class Drift:
    """The PSI of one column of one model on one night."""

    kind: str
    name: str
    psi: float | None
    status: str


def compare(
    reference: Mapping[str, Any] | None,
    frame: pd.DataFrame,
    scores: Mapping[str, Any],
    threshold: float,
) -> list[Drift]:
    """Tonight's PSI of every column of ``reference``; a column missing tonight reads as
    all missing (so a feature the marts lost shows as drift, not as nothing)."""
    if reference is None:
        return [Drift(SCORE, "*", None, NO_REFERENCE)]
    results = []
    for column in reference["columns"].values():
        source = frame if column["kind"] == FEATURE else scores
        values = source[column["name"]] if column["name"] in source else [np.nan] * len(frame)
        value = psi(column["shares"], bin_shares(np.asarray(values), column["edges"]))
        status = DRIFT if value >= threshold else OK
        results.append(Drift(column["kind"], column["name"], value, status))
    return results


def check(
    model: str,
    run_date: dt.date,
    trained: tracking.ModelRef,
    scorer: tracking.ModelRef,
    reference: dict[str, Any] | None,
    frame: pd.DataFrame,
    scores: Mapping[str, Any],
    settings: Settings,
) -> dict[str, Any]:
    """Store the new version's reference and measure tonight's drift against the scorer's.

    Call it inside the training run, after scoring. The reference of ``trained`` (the
    version this run registered) is logged to the run; the one compared with is that of
    ``scorer`` (the version that scored tonight): the same when it is the new version,
    otherwise read back from the scorer's training run. A scorer without a stored
    reference (trained before drift was measured) gives one ``no_reference`` row and a
    warning.

    Args:
        model: The model's registry name.
        run_date: The night's run date.
        trained: The version registered by this run.
        scorer: The version whose scores were written tonight.
        reference: :func:`reference_of` the new version's training data; None on a
            night that only scores (``trained`` is then ``scorer``, whose stored
            reference is read back).
        frame: Tonight's scoring rows (the features).
        scores: Score name -> tonight's scores.
        settings: The warehouse and ``PZ_DRIFT_PSI_WARN``.

    Returns:
        ``drift_max_psi``, ``drift_threshold`` and ``drifted`` (``kind:name`` of every
        column at or above the threshold), for the night's result.
    """
    if reference is not None:
        tracking.log_dict(reference, REFERENCE_ARTIFACT)
    against = (
        reference
        if reference is not None and scorer.version == trained.version
        else tracking.load_version_dict(scorer, REFERENCE_ARTIFACT)
    )
    threshold = settings.drift_psi_warn
    results = compare(against, frame, scores, threshold)
    measured = [r for r in results if r.psi is not None]
    tracking.log_metrics({f"psi.{r.kind}.{r.name}": r.psi for r in measured})
    worst = max((r.psi for r in measured), default=0.0)
    drifted = [f"{r.kind}:{r.name}" for r in results if r.status == DRIFT]
    tracking.log_metrics({"drift_max_psi": worst, "drift_columns": float(len(drifted))})
    tracking.log_dict(
        {
            "model_version": scorer.version,
            "threshold": threshold,
            "columns": [r.__dict__ for r in results],
        },
        RESULT_ARTIFACT,
    )
    _record(model, run_date, scorer.version, results, threshold, settings)
    if against is None:
        log.warning(
            "%s: version %s has no stored reference distribution; drift not measured",
            model,
            scorer.version,
        )
    if drifted:
        log.warning(
            "%s: drift from the training data of version %s (PSI >= %s): %s",
            model,
            scorer.version,
            threshold,
            ", ".join(f"{r.kind} {r.name} {r.psi:.3f}" for r in results if r.status == DRIFT),
        )
    else:
        log.info("%s: no drift (largest PSI %.3f, threshold %s)", model, worst, threshold)
    return {
        "drift_max_psi": round(worst, 6) if math.isfinite(worst) else None,
        "drift_threshold": threshold,
        "drifted": drifted,
        **({"drift_unmeasured": True} if against is None else {}),
    }


#: The keys :func:`check` adds to a night's result.
RESULT_KEYS = ("drift_max_psi", "drift_threshold", "drifted", "drift_unmeasured")


def measure(
    model: str,
    run_date: dt.date,
    version: str,
    frame: pd.DataFrame,
    scores: Mapping[str, Any],
    settings: Settings,
    reference: dict[str, Any] | None = None,
    trained_version: str | None = None,
) -> dict[str, Any]:
    """:func:`check` for the scores ``version`` wrote tonight: with ``reference`` and
    ``trained_version`` on a training night, without them on a night that only scores."""
    scorer = tracking.ModelRef(model, str(version))
    trained = tracking.ModelRef(model, str(trained_version)) if trained_version else scorer
    return check(model, run_date, trained, scorer, reference, frame, scores, settings)


def clear(model: str, run_date: dt.date, settings: Settings) -> None:
    """Remove the model's rows of the run date (a re-run that could not train it)."""
    _record(model, run_date, "", [], settings.drift_psi_warn, settings)


def _record(
    model: str,
    run_date: dt.date,
    version: str,
    results: list[Drift],
    threshold: float,
    settings: Settings,
) -> None:
    """Replace the model's rows of the run date in ``ml.feature_drift``."""
    n = len(results)
    data = pa.table(
        {
            "run_date": pa.array([run_date] * n, pa.date32()),
            "model": pa.array([model] * n, pa.string()),
            "model_version": pa.array([version] * n, pa.string()),
            "kind": pa.array([r.kind for r in results], pa.string()),
            "name": pa.array([r.name for r in results], pa.string()),
            "psi": pa.array([r.psi for r in results], pa.float64()),
            "threshold": pa.array([threshold] * n, pa.float64()),
            "status": pa.array([r.status for r in results], pa.string()),
        }
    )
    db.replace_rows(DRIFT_TABLE, {"run_date": run_date, "model": model}, data, settings.duckdb_path)
