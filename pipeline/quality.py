"""The quality gate: a model that scores below its floor or its baseline publishes nothing.

After a model has trained and scored, its holdout metric (from what
``train_and_score`` returned) is compared with a floor and with the baseline the
night measured beside it. A model that fails either has its rows of the run date
withdrawn from its ml table and is recorded as skipped (``ml.model_skips``, with the
reason), so the audiences that need it are published empty and the export manifest
and the run summary say why, the same way as for a model the history could not train.

Floors are configured per model with ``PZ_QUALITY_FLOORS`` (``churn=0.65,
recommendations=0.02``); unset models keep the defaults of :data:`GATES`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ml.registry import MODELS, OUTPUT_TABLES
from warehouse import db
from warehouse.settings import Settings

ENV_FLOORS = "PZ_QUALITY_FLOORS"


@dataclass(frozen=True)
class Gate:
    """What a model's result must reach to publish.

    Attributes:
        metric: The key of the holdout metric in the model's result; ``{model}`` is
            replaced by the result's ``model`` (the deployed kind).
        baseline: The key of the baseline's metric on the same holdout, or None.
        floor: The lowest metric that publishes, or None for no floor.
    """

    metric: str
    baseline: str | None = None
    floor: float | None = None

    def metric_key(self, result: Mapping[str, Any]) -> str:
        """The metric's key in ``result``."""
        return self.metric.format(model=result.get("model", ""))


#: The gate of each model with a holdout metric. customer_value has none: its fit is
#: judged by likelihood on the night's own summary (docs/models.md).
GATES: dict[str, Gate] = {
    "churn": Gate("auc_roc", baseline="baseline_auc_roc", floor=0.6),
    "recommendations": Gate("{model}_precision@10", baseline="popular_precision@10"),
    "segments": Gate("silhouette"),
}


def load_gates(env: Mapping[str, str] | None = None) -> dict[str, Gate]:
    """:data:`GATES` with the floors of ``PZ_QUALITY_FLOORS`` (``model=floor,...``).

    Raises:
        ValueError: A malformed entry, a model that is not registered or has no gate.
    """
    env = os.environ if env is None else env
    gates = dict(GATES)
    for entry in filter(None, (e.strip() for e in env.get(ENV_FLOORS, "").split(","))):
        model, _, value = entry.partition("=")
        model = model.strip()
        if model not in MODELS or model not in gates:
            raise ValueError(
                f"{ENV_FLOORS}: {model!r} has no quality gate; expected one of {sorted(gates)}"
            )
        try:
            floor = float(value)
        except ValueError:
            raise ValueError(f"{ENV_FLOORS}: {entry!r} is not model=number") from None
        gates[model] = replace(gates[model], floor=floor)
    return gates


def failure(model: str, result: Mapping[str, Any], gates: Mapping[str, Gate]) -> str | None:
    """Why ``result`` must not publish, or None when it passes (or the model has no gate)."""
    gate = gates.get(model)
    if gate is None:
        return None
    key = gate.metric_key(result)
    if key not in result:
        return f"quality gate: the result has no {key} to judge"
    value = float(result[key])
    reasons = []
    if gate.floor is not None and value < gate.floor:
        reasons.append(f"holdout {key} {value:.4f} is below the floor {gate.floor:g}")
    if gate.baseline is not None and gate.baseline in result:
        base = float(result[gate.baseline])
        if value < base:
            reasons.append(f"holdout {key} {value:.4f} is below the baseline's {base:.4f}")
    return "quality gate: " + "; ".join(reasons) if reasons else None


def withdraw(model: str, run_date: str, settings: Settings) -> int:
    """Delete the model's rows of ``run_date`` from its ml table; returns how many."""
    table = OUTPUT_TABLES[model]
    with db.connect(settings.duckdb_path) as con:
        (rows,) = con.execute(
            f"select count(*) from {table} where run_date = ?", [dt.date.fromisoformat(run_date)]
        ).fetchone()
        con.execute(f"delete from {table} where run_date = ?", [dt.date.fromisoformat(run_date)])
    return int(rows)
