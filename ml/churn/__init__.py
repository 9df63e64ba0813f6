"""Churn risk: who is unlikely to order in the next 90 days, and why.

``train_and_score(run_date)`` trains on ``marts.churn_training_examples`` (the
features history labelled by dbt, with BG/NBD features fitted per cutoff), compares
the BTYD baseline, logistic regression and XGBoost on the latest cutoff whose horizon
has ended, registers the best and writes ``ml.churn_scores`` for
``marts.churn_scoring_population``.
"""

from ml.churn.pipeline import score_population, train_and_score

__all__ = ["score_population", "train_and_score"]
