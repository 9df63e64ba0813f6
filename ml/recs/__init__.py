"""Product recommendations: implicit ALS on confidence-weighted interactions.

``train_and_score(run_date)`` compares ALS, BPR and popularity on the time split of
``marts.recs_training_interactions`` and ``marts.recs_holdout_purchases``, fits ALS
on ``marts.customer_item_interactions``, registers it and writes ten recommendations
per person of ``marts.dim_customers`` to ``ml.recommendations`` (cold-start people
get their preferred category's popular products).
"""

from ml.recs.pipeline import score_population, train_and_score

__all__ = ["score_population", "train_and_score"]
