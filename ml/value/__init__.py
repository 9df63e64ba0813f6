"""Customer value: who is still buying, how often they will buy, and what that is worth.

``train_and_score(run_date)`` fits BG/NBD and Gamma-Gamma on the BTYD summary of
``marts.customer_rfm``, registers the fitted parameters and writes
``ml.customer_value``: probability alive, expected purchases in 30, 90 and 365 days,
expected order value and a discounted lifetime value per person.
"""

from ml.value.pipeline import score_population, train_and_score

__all__ = ["score_population", "train_and_score"]
