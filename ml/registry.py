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

#: The marts each model reads. Every one must have been built for the night's run date
#: (meta.model_run_dates, written by dbt: ml.features.check_built_for).
INPUT_TABLES: dict[str, tuple[str, ...]] = {
    "segments": (
        "marts.customer_behaviour",
        "marts.customer_features",
        "marts.customer_category_shares",
    ),
    "churn": (
        "marts.btyd_summaries_at_cutoffs",
        "marts.churn_scoring_population",
        "marts.churn_training_examples",
        "marts.customer_category_shares",
    ),
    "recommendations": (
        "marts.customer_item_interactions",
        "marts.dim_customers",
        "marts.dim_products",
        "marts.fct_product_interactions",
        "marts.recs_holdout_purchases",
        "marts.recs_training_interactions",
    ),
    "customer_value": ("marts.customer_rfm",),
}
