"""The models of a night, named once: model name -> the module whose ``train_and_score`` runs it.

The name is also the model's MLflow experiment. Importing this module imports no
model: callers import the module of a model only when it runs.
"""

from __future__ import annotations

MODELS: dict[str, str] = {
    "segments": "ml.segments",
    "churn": "ml.churn",
    "recommendations": "ml.recs",
    "customer_value": "ml.value",
}
