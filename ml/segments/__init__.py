"""Customer segments: clusters of the feature vector with readable names and stable ids.

``train_and_score(run_date)`` reads ``marts.customer_features``, picks K-Means or a
Gaussian mixture and k by silhouette, registers the model, and writes
``ml.customer_segments`` (plus each segment's centroid to ``ml.segment_centroids``,
which the next run matches its clusters against).
"""

from ml.segments.pipeline import score_population, train_and_score

__all__ = ["score_population", "train_and_score"]
