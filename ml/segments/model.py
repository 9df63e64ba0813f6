"""Clustering customers: model selection, readable names and ids that stay put.

The clusterers follow one small interface (``Clusterer``) with a factory, so K-Means
and a Gaussian mixture are trained, compared and tested the same way. They cluster a
chosen set of behaviour features (:data:`SEGMENT_FEATURES`), and the kind and k are
chosen by bootstrap stability together with the silhouette.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ml.features import CATEGORY_PREFIX, signed_log1p
from ml.sampling import sample_rows

#: What the segments cluster on: recency, frequency, value and tenure (RFM), the store
#: and app channels, engagement (sessions, email opens, views per session) and how a
#: person buys (items per order, revenue per item, price paid against the catalogue
#: price). Category shares are left out of the distance (one column per category
#: would outweigh the rest) and described in the profiles instead.
SEGMENT_FEATURES = (
    "recency_days",
    "orders_365d",
    "tenure_days",
    "avg_order_value",
    "store_order_share_365d",
    "app_order_share_365d",
    "sessions_90d",
    "email_open_rate_90d",
    "views_per_session_90d",
    "items_per_order_365d",
    "revenue_per_item_365d",
    "price_paid_ratio_365d",
)
#: Counts, days and money: long tails, log-scaled. The shares and ratios stay linear.
LOG_SCALED = frozenset(
    {
        "recency_days",
        "orders_365d",
        "tenure_days",
        "avg_order_value",
        "sessions_90d",
        "items_per_order_365d",
        "revenue_per_item_365d",
    }
)
#: A (kind, k) is stable when clusterings fitted on bootstrap resamples agree with it
#: this much (mean adjusted Rand index) on the evaluation sample.
STABILITY_BAR = 0.9


class Clusterer(ABC):
    """A fitted partition of a scaled feature space into k clusters."""

    kind: str

    def __init__(self, k: int, seed: int = 42) -> None:
        self.k = k
        self.seed = seed

    @abstractmethod
    def fit(self, x: np.ndarray) -> Clusterer:
        """Fit on the rows of ``x``; returns self."""

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Cluster label (0..k-1) of each row."""

    @property
    @abstractmethod
    def centers(self) -> np.ndarray:
        """(k, n_features) cluster centres in the scaled space."""


class KMeansClusterer(Clusterer):
    """K-Means (Lloyd), several initialisations."""

    kind = "kmeans"

    def fit(self, x: np.ndarray) -> KMeansClusterer:
        self.model = KMeans(self.k, n_init=4, random_state=self.seed).fit(x)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(x)

    @property
    def centers(self) -> np.ndarray:
        return self.model.cluster_centers_


class GaussianMixtureClusterer(Clusterer):
    """Gaussian mixture with diagonal covariances; a person belongs to the likeliest component."""

    kind = "gmm"

    def fit(self, x: np.ndarray) -> GaussianMixtureClusterer:
        self.model = GaussianMixture(
            self.k, covariance_type="diag", reg_covar=1e-3, n_init=1, random_state=self.seed
        ).fit(x)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(x)

    @property
    def centers(self) -> np.ndarray:
        return self.model.means_


CLUSTERERS: dict[str, type[Clusterer]] = {
    KMeansClusterer.kind: KMeansClusterer,
    GaussianMixtureClusterer.kind: GaussianMixtureClusterer,
}


def make_clusterer(kind: str, k: int, seed: int = 42) -> Clusterer:
    """The clusterer of the given kind (``kmeans`` or ``gmm``)."""
    try:
        return CLUSTERERS[kind](k, seed)
    except KeyError:
        raise ValueError(f"unknown clusterer {kind!r}; one of {sorted(CLUSTERERS)}") from None


def make_scaler(features: list[str] | None = None) -> Pipeline:
    """Median imputation (a ratio with nothing to divide is unknown, not 0), signed log
    of the long-tailed columns (:data:`LOG_SCALED`; every column when ``features`` is
    omitted), then standardisation."""
    if features is None:
        return make_pipeline(FunctionTransformer(signed_log1p), StandardScaler())
    logged = [i for i, f in enumerate(features) if f in LOG_SCALED]
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        FunctionTransformer(log_columns, kw_args={"columns": logged}),
        StandardScaler(),
    )


def log_columns(values: np.ndarray, columns: list[int]) -> np.ndarray:
    """``values`` with signed log applied to the given column positions."""
    values = np.array(values, dtype=float, copy=True)
    values[:, columns] = signed_log1p(values[:, columns])
    return values


@dataclass
class SegmentModel:
    """A fitted scaler and clusterer over a fixed list of feature columns."""

    features: list[str]
    scaler: Pipeline
    clusterer: Clusterer
    silhouette: float = float("nan")
    stability: float = float("nan")

    def values(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's columns of ``frame`` as floats; missing values stay missing for the
        imputer (a scaler without one, from an earlier version, reads them as 0)."""
        values = frame.reindex(columns=self.features).astype(float)
        if not isinstance(self.scaler[0], SimpleImputer):
            values = values.fillna(0.0)
        return values

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.scaler.transform(self.values(frame))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Cluster label of each row (the generic model interface)."""
        return self.clusterer.predict(self.transform(frame))

    def distance(self, frame: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
        """Euclidean distance of each row to its cluster's centre, in the scaled space."""
        return np.linalg.norm(self.transform(frame) - self.clusterer.centers[labels], axis=1)


@dataclass
class Selection:
    """The chosen model and the silhouette and stability of every candidate (kind, k)."""

    model: SegmentModel
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)


def bootstrap_stability(
    kind: str,
    k: int,
    fit_x: np.ndarray,
    eval_x: np.ndarray,
    reference: np.ndarray,
    seed: int,
    rounds: int,
    size: int,
) -> float:
    """Mean adjusted Rand index between ``reference`` (labels of ``eval_x``) and the
    labels of clusterings of the same kind and k fitted on bootstrap resamples of
    ``fit_x``: how much the segmentation depends on which customers happened to be in
    the data."""
    rng = np.random.default_rng(seed)
    agreement = []
    for round_ in range(rounds):
        rows = rng.integers(0, len(fit_x), min(size, len(fit_x)))
        labels = make_clusterer(kind, k, seed + 1 + round_).fit(fit_x[rows]).predict(eval_x)
        agreement.append(adjusted_rand_score(reference, labels))
    return float(np.mean(agreement))


def choose(scores: pd.DataFrame, bar: float = STABILITY_BAR) -> int:
    """The row of ``scores`` to keep: the best silhouette among the candidates whose
    bootstrap stability reaches ``bar``; when none does, the most stable. Ties go to the
    earlier row (the earlier kind, the smaller k)."""
    stable = scores[scores["stability"] >= bar]
    pool, column = (stable, "silhouette") if not stable.empty else (scores, "stability")
    return int(pool[column].idxmax())


def select_model(
    frame: pd.DataFrame,
    features: list[str],
    k_range: range = range(3, 9),
    kinds: tuple[str, ...] = ("kmeans", "gmm"),
    seed: int = 42,
    fit_size: int = 50_000,
    silhouette_size: int = 4_000,
    bootstrap_rounds: int = 4,
    bootstrap_size: int = 20_000,
) -> Selection:
    """Fit every (kind, k) on a sample; keep the best silhouette among the stable ones.

    Silhouettes are computed on one fixed sample in one scaled space, so they compare
    across kinds and k. Stability is :func:`bootstrap_stability` on the same sample.
    The rule is :func:`choose`.
    """
    scaler = make_scaler(features).fit(frame.reindex(columns=features).astype(float))
    x = scaler.transform(frame.reindex(columns=features).astype(float))
    fit_x = x[sample_rows(len(x), fit_size, seed)]
    eval_x = x[sample_rows(len(x), silhouette_size, seed + 1)]
    rows, models = [], []
    for kind in kinds:
        for k in k_range:
            if k >= len(eval_x):
                continue
            clusterer = make_clusterer(kind, k, seed).fit(fit_x)
            labels = clusterer.predict(eval_x)
            score = float(silhouette_score(eval_x, labels)) if len(set(labels)) > 1 else -1.0
            stability = bootstrap_stability(
                kind, k, fit_x, eval_x, labels, seed, bootstrap_rounds, bootstrap_size
            )
            rows.append({"kind": kind, "k": k, "silhouette": score, "stability": stability})
            models.append(SegmentModel(list(features), scaler, clusterer, score, stability))
    scores = pd.DataFrame(rows)
    return Selection(models[choose(scores)], scores)


def silhouette_of(labels: np.ndarray, x: np.ndarray, seed: int = 42, size: int = 4_000) -> float:
    """Sampled silhouette of a labelling of ``x`` (-1 when it has a single cluster)."""
    rows = sample_rows(len(x), size, seed + 1)
    if len(set(labels[rows])) < 2:
        return -1.0
    return float(silhouette_score(x[rows], labels[rows]))


def profiles(frame: pd.DataFrame, labels: np.ndarray, features: list[str]) -> pd.DataFrame:
    """Per-cluster size and mean of every feature in its own units (index: label)."""
    values = frame.reindex(columns=features).astype(float)
    table = values.groupby(labels).mean()
    table.insert(0, "size", pd.Series(labels).value_counts().reindex(table.index).to_numpy())
    return table


def _ratio(profile: pd.Series, overall: pd.Series, column: str) -> float:
    if column not in profile.index or column not in overall.index:
        return 1.0
    base = overall[column]
    return float(profile[column] / base) if base else 1.0


def top_categories(profile: pd.Series, n: int = 2) -> list[str]:
    """The categories with the largest revenue shares in a profile."""
    shares = profile[[c for c in profile.index if c.startswith(CATEGORY_PREFIX)]]
    shares = shares[shares > 0].sort_values(ascending=False, kind="stable")
    return [c.removeprefix(CATEGORY_PREFIX) for c in shares.index[:n]]


def describe(profile: pd.Series, overall: pd.Series) -> str:
    """A marketer's name for one cluster, from its profile against the whole base.

    Looks at frequency, value, basket size, recency, tenure, browsing and views per
    session (each as a ratio to the overall mean), the store share and the price paid
    against the catalogue price; a feature the profile lacks counts as average.
    """

    def ratio(column: str) -> float:
        return _ratio(profile, overall, column)

    orders, value, basket = ratio("orders_365d"), ratio("revenue_365d"), ratio("avg_order_value")
    recency, tenure = ratio("recency_days"), ratio("tenure_days")
    browsing = next(
        (ratio(c) for c in ("product_views_90d", "sessions_90d") if c in profile.index), 1.0
    )
    store = float(profile.get("store_order_share_365d", 0.0))
    price_paid = float(profile.get("price_paid_ratio_365d", 1.0))
    views = ratio("views_per_session_90d")
    if orders < 0.35 and browsing >= 1.0:
        return "window browser"
    if tenure < 0.5:
        return "new customer"
    if orders < 0.1:
        return "dormant"
    if recency >= 1.6 and orders < 0.6:
        return "lapsing" if browsing >= 0.5 else "dormant"
    if orders < 0.6 and browsing < 0.3:
        return "lapsing"
    if orders < 0.6 and views >= 1.2:
        return "window browser"
    if store >= 0.5:
        return "store loyal"
    if value >= 1.4 and orders >= 1.1:
        return "high-value loyal"
    if price_paid < 0.9 or (basket < 0.8 and orders >= 0.8):
        return "bargain hunter"
    if orders >= 1.1:
        return "frequent buyer"
    return "occasional buyer"


def name_segments(table: pd.DataFrame, overall: pd.Series) -> dict[int, str]:
    """Readable, unique names per label; duplicates get their top category appended."""
    names = {label: describe(row, overall) for label, row in table.iterrows()}
    counts = pd.Series(names).value_counts()
    for label, name in list(names.items()):
        if counts[name] > 1:
            categories = top_categories(table.loc[label], 1)
            names[label] = f"{name} · {categories[0]}" if categories else name
    seen: dict[str, int] = {}
    for label in sorted(names, key=lambda lbl: -table.loc[lbl, "size"]):
        seen[names[label]] = seen.get(names[label], 0) + 1
        if seen[names[label]] > 1:
            names[label] = f"{names[label]} {seen[names[label]]}"
    return names


def match_ids(
    current: np.ndarray,
    previous: np.ndarray,
    previous_ids: list[int],
    sizes: np.ndarray | None = None,
) -> list[int]:
    """Stable segment ids: give each current centre the id of its matched previous centre.

    Hungarian matching (minimum total Euclidean distance) between the current and the
    previous centres, both in the same scaled space. Current centres left unmatched (k
    grew) get new ids after the largest previous one. With no previous run, ids are
    1..k by decreasing cluster size.

    Returns:
        The segment id of each current centre, in the order of ``current``.
    """
    k = len(current)
    if len(previous) == 0:
        order = np.argsort(-sizes if sizes is not None else np.zeros(k), kind="stable")
        ids = np.empty(k, dtype=int)
        ids[order] = np.arange(1, k + 1)
        return ids.tolist()
    cost = np.linalg.norm(current[:, None, :] - previous[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    ids = [0] * k
    for row, col in zip(rows, cols, strict=True):
        ids[row] = int(previous_ids[col])
    next_id = max(previous_ids) + 1
    for row in range(k):
        if row not in set(rows):
            ids[row] = next_id
            next_id += 1
    return ids


def centroid_frame(table: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Profiles as long rows (label, feature, value), the form ``ml.segment_centroids`` keeps."""
    long = table[features].stack().reset_index()
    long.columns = ["label", "feature", "value"]
    return long
