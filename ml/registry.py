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

#: The table each model writes its scores to, one run_date at a time (a dbt model
#: under dbt_project/models/ml/).
OUTPUT_TABLES: dict[str, str] = {
    "segments": "ml.customer_segments",
    "churn": "ml.churn_scores",
    "recommendations": "ml.recommendations",
    "customer_value": "ml.customer_value",
}
