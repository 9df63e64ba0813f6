"""Recommenders behind one small interface, and their offline evaluation.

``Recommender`` mirrors implicit's own ``RecommenderBase`` (fit on a user × item
matrix, ``recommend`` for a batch of users returning int32 ids and scores), so every
implementation, including the popularity baseline, goes through
``implicit.evaluation.ranking_metrics_at_k`` unchanged. ``make_recommender`` is the
factory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from implicit.bpr import BayesianPersonalizedRanking
from implicit.evaluation import ranking_metrics_at_k
from implicit.nearest_neighbours import BM25Recommender
from threadpoolctl import threadpool_limits

#: Dense scores are computed for this many (user, item) cells at a time (32 MB).
SCORE_BLOCK_CELLS = 8_000_000


class Recommender(ABC):
    """Fit on a (users × items) confidence matrix; recommend items to users."""

    kind: str

    def __init__(self, **params: Any) -> None:
        self.params = params

    @abstractmethod
    def fit(self, user_items: sp.csr_matrix) -> Recommender:
        """Learn from the confidence matrix; returns self."""

    @abstractmethod
    def scores(self, userids: np.ndarray) -> np.ndarray:
        """(len(userids), n_items) dense scores; higher is better."""

    def forget_rows(self, rows: np.ndarray) -> None:
        """Zero what the model keeps per user for these rows (an erasure).

        The per-user state (a row of the confidence matrix, a user factor) is what ties
        the fitted model to a person; item-level state (popularity, item similarity,
        item factors) is an aggregate over everyone and stays.
        """
        user_items = getattr(self, "user_items", None)
        if user_items is not None:
            keep = np.ones(user_items.shape[0], dtype=user_items.dtype)
            keep[rows] = 0
            self.user_items = (sp.diags(keep) @ user_items).tocsr()
            self.user_items.eliminate_zeros()
        model = getattr(self, "model", None)
        if model is not None and getattr(model, "user_factors", None) is not None:
            model.user_factors[rows] = 0

    def recommend(
        self,
        userid: Any,
        user_items: sp.csr_matrix,
        N: int = 10,  # noqa: N803
        filter_already_liked_items: bool = True,
        filter_items: np.ndarray | None = None,
        **_: Any,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``N`` items per user, as implicit returns them (int32 ids, float32 scores).

        Args:
            userid: Row numbers of the users.
            user_items: Their rows of the user × item matrix: items with a non-zero entry
                are left out when ``filter_already_liked_items``.
            N: How many items per user.
            filter_items: Item numbers never to recommend.
        """
        users = np.asarray(userid, dtype=np.int64)
        n = min(N, user_items.shape[1])
        # Scores are dense (users × items); a block of rows at a time keeps them small
        # however large the catalogue (20,000 products at a million customers).
        step = max(1, SCORE_BLOCK_CELLS // max(user_items.shape[1], 1))
        ids = np.empty((len(users), n), dtype=np.int32)
        best = np.empty((len(users), n), dtype=np.float32)
        for start in range(0, len(users), step):
            block = slice(start, start + step)
            scores = self.scores(users[block]).astype(np.float32, copy=False)
            if filter_already_liked_items:
                rows, cols = user_items[block].nonzero()
                scores[rows, cols] = -np.inf
            if filter_items is not None and len(filter_items):
                scores[:, filter_items] = -np.inf
            top = np.argpartition(scores, -n, axis=1)[:, -n:]
            order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            ids[block] = top
            best[block] = np.take_along_axis(scores, top, axis=1)
        return ids, best


class PopularityRecommender(Recommender):
    """Everyone gets the items most users interacted with: the baseline to beat."""

    kind = "popular"

    def fit(self, user_items: sp.csr_matrix) -> PopularityRecommender:
        counts = np.asarray((user_items > 0).sum(axis=0)).ravel().astype(float)
        # A tiny, fixed tie-break keeps equal counts in item order.
        self.popularity = counts - np.arange(len(counts)) * 1e-9
        return self

    def scores(self, userids: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity, (len(userids), 1))


class RecentPopularityRecommender(PopularityRecommender):
    """Everyone gets the items with the most confidence weight: popularity in which each
    interaction counts by its type's weight, halved every half-life of its age (the
    ``weight`` of the interaction marts), so what sells now outranks what sold once."""

    kind = "recent_popular"

    def fit(self, user_items: sp.csr_matrix) -> RecentPopularityRecommender:
        weights = np.asarray(user_items.sum(axis=0)).ravel().astype(float)
        scale = weights.max() if len(weights) and weights.max() > 0 else 1.0
        self.popularity = weights / scale - np.arange(len(weights)) * 1e-9
        return self


class ItemNeighboursRecommender(Recommender):
    """Item-item neighbours (implicit's BM25-weighted item similarity): a person's score
    for an item is the similarity-weighted sum of the items they interacted with."""

    kind = "item_knn"

    def fit(self, user_items: sp.csr_matrix) -> ItemNeighboursRecommender:
        self.user_items = user_items.tocsr().astype(np.float32)
        with threadpool_limits(1, "blas"):
            model = BM25Recommender(**self.params)
            model.fit(self.user_items, show_progress=False)
        self.similarity = model.similarity.tocsr().astype(np.float32)
        return self

    def scores(self, userids: np.ndarray) -> np.ndarray:
        return np.asarray((self.user_items[userids] @ self.similarity).todense())


class ImplicitRecommender(Recommender):
    """A matrix-factorisation model of the implicit library (ALS or BPR), run on the CPU."""

    MODELS = {"als": AlternatingLeastSquares, "bpr": BayesianPersonalizedRanking}

    def __init__(self, kind: str, **params: Any) -> None:
        super().__init__(**params)
        self.kind = kind

    def fit(self, user_items: sp.csr_matrix) -> ImplicitRecommender:
        # BLAS threads inside implicit's own threads oversubscribe the cores.
        with threadpool_limits(1, "blas"):
            self.model = self.MODELS[self.kind](**self.params)
            self.model.fit(user_items.tocsr().astype(np.float32), show_progress=False)
        self.model = self.model.to_cpu() if hasattr(self.model, "to_cpu") else self.model
        return self

    def scores(self, userids: np.ndarray) -> np.ndarray:
        return self.model.user_factors[userids] @ self.model.item_factors.T


#: Every kind :func:`make_recommender` builds, the baseline first (it wins ties).
KINDS = ("popular", "recent_popular", "item_knn", "als", "bpr")


def make_recommender(kind: str, seed: int = 42, threads: int = 1, **params: Any) -> Recommender:
    """The recommender of the given kind (one of :data:`KINDS`), seeded.

    BPR runs single-threaded whatever ``threads`` says: its parallel updates race, and
    re-runs must reproduce their results. The neighbours run on one thread too (their
    fit is a sparse product; it is fast).
    """
    if kind == "popular":
        return PopularityRecommender(**params)
    if kind == "recent_popular":
        return RecentPopularityRecommender(**params)
    if kind == "item_knn":
        defaults = {"K": 50, "K1": 1.2, "B": 0.75}
        return ItemNeighboursRecommender(**{**defaults, **params}, num_threads=1)
    if kind == "als":
        defaults = {"factors": 32, "regularization": 0.1, "alpha": 5.0, "iterations": 5}
        return ImplicitRecommender(
            "als",
            **{**defaults, **params},
            random_state=seed,
            num_threads=threads,
            use_gpu=False,
        )
    if kind == "bpr":
        defaults = {"factors": 32, "learning_rate": 0.05, "regularization": 0.01, "iterations": 25}
        return ImplicitRecommender(
            "bpr", **{**defaults, **params}, random_state=seed, num_threads=1, use_gpu=False
        )
    raise ValueError(f"unknown recommender {kind!r}; one of {', '.join(KINDS)}")


@dataclass
class Matrix:
    """A user × item matrix with the ids of its rows and columns."""

    values: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray

    @classmethod
    def build(
        cls,
        frame: pd.DataFrame,
        value: str | None = None,
        user_ids: np.ndarray | None = None,
        item_ids: np.ndarray | None = None,
        user: str = "person_id",
        item: str = "product_id",
    ) -> Matrix:
        """From long rows; rows or columns outside given ids are dropped.

        Without given ids, rows and columns are the distinct ids in sorted order.
        """
        rows, users = _codes(frame[user], user_ids)
        cols, items = _codes(frame[item], item_ids)
        keep = (rows >= 0) & (cols >= 0)
        data = (
            frame[value].to_numpy(dtype=np.float32)
            if value
            else np.ones(len(frame), dtype=np.float32)
        )
        values = sp.csr_matrix(
            (data[keep], (rows[keep], cols[keep])), shape=(len(users), len(items)), dtype=np.float32
        )
        values.sum_duplicates()
        return cls(values, users, items)


def _codes(values: pd.Series, ids: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value among ``ids`` (-1 when absent), or among its own sorted
    distinct values when ``ids`` is None; hashing, not sorting every row."""
    if ids is None:
        codes, uniques = pd.factorize(values, sort=True)
        return codes, np.asarray(uniques)
    ids = np.asarray(ids)
    return pd.Index(ids).get_indexer(values), ids


def evaluate(
    model: Recommender, train_seen: sp.csr_matrix, test: sp.csr_matrix, k: int = 10
) -> dict[str, float]:
    """precision@k, recall@k, NDCG@k and MAP@k of ``model`` on held-out items.

    NDCG and MAP come from ``implicit.evaluation.ranking_metrics_at_k``; precision is
    hits / k and recall hits / held-out items (implicit's own "precision" divides by
    min(k, held-out) instead). Items in ``train_seen`` are not recommended, users
    without held-out items are not counted.
    """
    users = np.flatnonzero(np.diff(test.indptr))
    if len(users) == 0:
        return {f"{m}@{k}": 0.0 for m in ("precision", "recall", "ndcg", "map")}
    ids, _ = model.recommend(users, train_seen[users], N=k)
    rows = np.repeat(np.arange(len(users)), ids.shape[1])
    recommended = sp.csr_matrix(
        (np.ones(ids.size), (rows, ids.ravel())), shape=(len(users), test.shape[1])
    )
    relevant = (test[users] > 0).astype(float)
    hits = np.asarray(recommended.multiply(relevant).sum(axis=1)).ravel()
    n_relevant = np.asarray(relevant.sum(axis=1)).ravel()
    library = ranking_metrics_at_k(model, train_seen, test, K=k, show_progress=False)
    return {
        f"precision@{k}": float(np.mean(hits / k)),
        f"recall@{k}": float(np.mean(hits / n_relevant)),
        f"ndcg@{k}": float(library["ndcg"]),
        f"map@{k}": float(library["map"]),
        "test_users": float(len(users)),
    }


@dataclass
class RecsModel:
    """A recommender fitted on the full interactions, with the ids of its rows and columns.

    Attributes:
        recommender: The fitted model.
        user_ids: person_id of each row.
        item_ids: product_id of each column.
    """

    recommender: Recommender
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def config(self) -> dict[str, Any]:
        """What it takes to fit the same model again: kind and parameters."""
        return {"kind": self.recommender.kind, **self.recommender.params}

    def recommend_ids(
        self,
        person_ids: np.ndarray,
        seen: sp.csr_matrix | None = None,
        exclude_items: np.ndarray | None = None,
        k: int = 10,
        batch: int = 20_000,
    ) -> pd.DataFrame:
        """Top-k per known person (person_id, rank, product_id, score), in batches.

        Args:
            person_ids: People to recommend to; those the model does not know are skipped.
            seen: Rows aligned with ``user_ids``: non-zero items are not recommended.
            exclude_items: Column numbers never to recommend.
        """
        rows = pd.Index(self.user_ids).get_indexer(np.asarray(person_ids))
        rows = np.sort(rows[rows >= 0])
        if seen is None:
            seen = sp.csr_matrix((len(self.user_ids), len(self.item_ids)), dtype=np.float32)
        parts = []
        for start in range(0, len(rows), batch):
            users = rows[start : start + batch]
            ids, scores = self.recommender.recommend(
                users, seen[users], N=k, filter_items=exclude_items
            )
            part = pd.DataFrame(
                {
                    "person_id": np.repeat(self.user_ids[users], ids.shape[1]),
                    "rank": np.tile(np.arange(1, ids.shape[1] + 1), len(users)),
                    "product_id": self.item_ids[ids.ravel()],
                    "score": scores.ravel().astype(float),
                }
            )
            parts.append(part[np.isfinite(part["score"])])
        columns = ["person_id", "rank", "product_id", "score"]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

    def forget(self, person_ids: set[str]) -> int:
        """Remove these people from the fitted model; returns how many it knew.

        Their ids are blanked (the rows stay, so the others' row numbers do not move)
        and their per-user state zeroed: the model no longer names them nor holds
        anything learnt from them alone, and recommends to them no more.
        """
        rows = np.flatnonzero(np.isin(self.user_ids, list(person_ids)))
        if len(rows):
            self.user_ids = self.user_ids.copy()
            self.user_ids[rows] = ""
            self.recommender.forget_rows(rows)
        return len(rows)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Top-10 for the people in ``frame.person_id`` (the generic model interface)."""
        return self.recommend_ids(frame["person_id"].to_numpy())
