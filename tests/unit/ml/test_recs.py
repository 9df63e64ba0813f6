"""Recommenders on literal matrices with planted answers, through one shared test mixin."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp

from ml.recs import model as model_module
from ml.recs.data import _interaction_frame
from ml.recs.model import Matrix, RecsModel, evaluate, make_recommender
from ml.recs.pipeline import fill_popular
from ml.sampling import sample_rows


def checkerboard(n: int = 50) -> sp.csr_matrix:
    """implicit's fixture: two groups of users each like one half of the items, except
    that user u has not seen item u; that item is the right top recommendation."""
    dense = np.zeros((n, n), dtype=np.float32)
    for u in range(n):
        for i in range(n):
            if i != u and i % 2 == u % 2:
                dense[u, i] = 1.0
    return sp.csr_matrix(dense)


class RecommenderTestMixin:
    """Every recommender passes these; ``kind`` names the one under test."""

    kind: str

    def fitted(self, matrix: sp.csr_matrix):
        return make_recommender(self.kind, seed=3, threads=1).fit(matrix)

    def test_recommend_returns_implicit_shaped_results(self) -> None:
        matrix = checkerboard()
        ids, scores = self.fitted(matrix).recommend(np.arange(5), matrix[:5], N=4)
        assert ids.dtype == np.int32 and ids.shape == (5, 4) and scores.shape == (5, 4)
        assert (np.diff(scores, axis=1) <= 0).all()

    def test_already_liked_and_filtered_items_are_never_recommended(self) -> None:
        matrix = checkerboard()
        ids, _ = self.fitted(matrix).recommend(
            np.arange(50), matrix, N=5, filter_items=np.array([0, 1])
        )
        assert not np.isin(ids, [0, 1]).any()
        assert all(matrix[u, ids[u]].nnz == 0 for u in range(50))

    def test_same_seed_same_recommendations(self) -> None:
        matrix = checkerboard()
        a = self.fitted(matrix).recommend(np.arange(50), matrix, N=3)[0]
        b = self.fitted(matrix).recommend(np.arange(50), matrix, N=3)[0]
        np.testing.assert_array_equal(a, b)

    def test_scoring_in_blocks_of_rows_changes_nothing(self, monkeypatch) -> None:
        matrix = checkerboard()
        model = self.fitted(matrix)
        whole = model.recommend(np.arange(50), matrix, N=5, filter_items=np.array([3]))
        monkeypatch.setattr(model_module, "SCORE_BLOCK_CELLS", 7 * 50)  # 7 users a block
        blocks = model.recommend(np.arange(50), matrix, N=5, filter_items=np.array([3]))
        np.testing.assert_array_equal(whole[0], blocks[0])
        # BLAS may sum a block's products in another order: the last bits can differ.
        np.testing.assert_allclose(whole[1], blocks[1], rtol=1e-5)

    def test_checkerboard_has_the_known_answer(self) -> None:
        matrix = checkerboard()
        ids, scores = self.fitted(matrix).recommend(np.arange(50), matrix, N=3)
        self.check_checkerboard(ids, scores, matrix)

    def check_checkerboard(
        self, ids: np.ndarray, scores: np.ndarray, matrix: sp.csr_matrix
    ) -> None:
        """A personalised model finds each user's unseen item of their own group."""
        assert (ids[:, 0] == np.arange(50)).mean() >= 0.9


class TestALS(RecommenderTestMixin):
    kind = "als"


class TestBPR(RecommenderTestMixin):
    kind = "bpr"


class TestPopularity(RecommenderTestMixin):
    kind = "popular"

    def check_checkerboard(
        self, ids: np.ndarray, scores: np.ndarray, matrix: sp.csr_matrix
    ) -> None:
        """Popularity scores an item by the number of users who had it, whoever asks:
        24 (its group but one) for every item of the checkerboard."""
        had = np.asarray((matrix > 0).sum(axis=0)).ravel()
        assert (had == 24).all()
        np.testing.assert_allclose(scores, had[ids], rtol=1e-6)
        assert all(matrix[u, ids[u]].nnz == 0 for u in range(50))

    def test_recommends_the_most_popular_unseen_items(self) -> None:
        matrix = sp.csr_matrix(
            np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 1, 0]], dtype=np.float32)
        )
        ids, _ = self.fitted(matrix).recommend(np.array([0]), matrix[[0]], N=2)
        assert ids.tolist() == [[2, 3]]


class TestItemNeighbours(RecommenderTestMixin):
    kind = "item_knn"


class TestRecentPopularity(RecommenderTestMixin):
    kind = "recent_popular"

    def check_checkerboard(
        self, ids: np.ndarray, scores: np.ndarray, matrix: sp.csr_matrix
    ) -> None:
        """Equal weights everywhere: every item scores the same, whoever asks."""
        np.testing.assert_allclose(scores, 1.0, atol=1e-6)
        assert all(matrix[u, ids[u]].nnz == 0 for u in range(50))

    def test_recent_weight_outranks_an_old_count(self) -> None:
        """Item 0 had three buyers long ago (weight 0.1 each), item 1 one buyer this week."""
        matrix = sp.csr_matrix(
            np.array([[0.1, 0, 0], [0.1, 0, 0], [0.1, 1.0, 0], [0, 0, 0]], dtype=np.float32)
        )
        ids, _ = self.fitted(matrix).recommend(np.array([3]), matrix[[3]], N=2)
        assert ids.tolist() == [[1, 0]]
        popular, _ = (
            make_recommender("popular").fit(matrix).recommend(np.array([3]), matrix[[3]], N=2)
        )
        assert popular.tolist() == [[0, 1]]


def test_evaluate_on_a_planted_split() -> None:
    matrix = checkerboard()
    held_out = sp.identity(50, format="csr", dtype=np.float32)  # user u bought item u
    als = make_recommender("als", seed=3).fit(matrix)
    good = evaluate(als, matrix, held_out, k=10)
    popular = evaluate(make_recommender("popular").fit(matrix), matrix, held_out, k=10)
    assert good["recall@10"] >= 0.9 and abs(good["precision@10"] - good["recall@10"] / 10) < 1e-9
    assert good["ndcg@10"] > popular["ndcg@10"] and good["map@10"] > popular["map@10"]


def test_matrix_build_and_recs_model_ids() -> None:
    frame = pd.DataFrame(
        {"person_id": ["b", "a", "a"], "product_id": ["x", "y", "x"], "weight": [1.0, 2.0, 3.0]}
    )
    m = Matrix.build(frame, "weight")
    assert m.user_ids.tolist() == ["a", "b"] and m.item_ids.tolist() == ["x", "y"]
    assert m.values.toarray().tolist() == [[3.0, 2.0], [1.0, 0.0]]
    model = RecsModel(make_recommender("popular").fit(m.values), m.user_ids, m.item_ids)
    out = model.predict(pd.DataFrame({"person_id": ["a", "stranger"]}))
    assert out["person_id"].unique().tolist() == ["a"] and out["rank"].tolist() == [1, 2]


def test_interaction_frames_code_ids_as_sorted_categories() -> None:
    table = pa.table(
        {
            "person_id": ["b", "a", "c", "a"],
            "product_id": ["y", "x", "y", "z"],
            "weight": [1.0, 2.0, 3.0, 4.0],
        }
    )
    frame = _interaction_frame(table)
    assert isinstance(frame["person_id"].dtype, pd.CategoricalDtype)
    assert frame["person_id"].cat.categories.tolist() == ["a", "b", "c"]
    coded = Matrix.build(frame, "weight")
    plain = Matrix.build(table.to_pandas(), "weight")
    assert coded.user_ids.tolist() == plain.user_ids.tolist() == ["a", "b", "c"]
    assert coded.item_ids.tolist() == plain.item_ids.tolist()
    assert (coded.values != plain.values).nnz == 0
    given = Matrix.build(frame, "weight", np.array(["c", "a"]), np.array(["z", "y"]))
    assert given.values.toarray().tolist() == [[0.0, 3.0], [4.0, 0.0]]


def test_matrix_build_on_given_ids_drops_the_others() -> None:
    frame = pd.DataFrame(
        {"person_id": ["a", "zz", "b", "a"], "product_id": ["y", "x", "q", "y"], "n": [1, 5, 2, 3]}
    )
    m = Matrix.build(frame, "n", np.array(["b", "a"]), np.array(["y", "x"]))
    assert m.values.toarray().tolist() == [[0.0, 0.0], [4.0, 0.0]]


def test_evaluation_sample_is_seeded_sorted_and_whole_when_small() -> None:
    a, b = sample_rows(1_000, 100, seed=7), sample_rows(1_000, 100, seed=7)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 100 and (np.diff(a) > 0).all() and a.max() < 1_000
    assert not np.array_equal(a, sample_rows(1_000, 100, seed=8))
    np.testing.assert_array_equal(sample_rows(50, 100, seed=7), np.arange(50))


def test_cold_start_gets_popular_items_of_the_preferred_category() -> None:
    products = pd.DataFrame(
        {
            "product_id": ["t1", "t2", "t3", "b1", "b2", "old"],
            "category": ["toys", "toys", "toys", "books", "books", "toys"],
            "is_active": [True, True, True, True, True, False],
        }
    )
    popularity = pd.DataFrame(
        {"product_id": ["old", "b1", "t2", "b2", "t1", "t3"], "buyers": [99, 50, 40, 30, 20, 10]}
    )
    people = pd.DataFrame(
        {"person_id": ["new", "warm", "nopref"], "preferred_category": ["toys", "books", None]}
    )
    recs = pd.DataFrame(
        {"person_id": ["warm"] * 2, "rank": [1, 2], "product_id": ["t3", "b2"], "score": [0.9, 0.8]}
    )
    purchased = pd.DataFrame({"person_id": ["warm"], "product_id": ["b1"]})
    out = fill_popular(recs, people, purchased, products, popularity, k=4)
    lists = out.groupby("person_id")["product_id"].agg(list).to_dict()
    assert lists["new"] == ["t2", "t1", "t3", "b1"]
    assert lists["warm"] == ["t3", "b2", "t2", "t1"]  # b1 bought, b2 and t3 already there
    assert lists["nopref"] == ["b1", "t2", "b2", "t1"]
    assert "old" not in out["product_id"].tolist()
    assert out.loc[out["person_id"] == "new", "source"].eq("popular").all()
    assert out.loc[out["person_id"] == "warm", "source"].tolist() == [
        "als",
        "als",
        "popular",
        "popular",
    ]


@pytest.mark.parametrize("kind", ["popular", "item_knn", "als", "bpr"])
def test_a_model_forgets_an_erased_person(kind: str) -> None:
    """Erasure: the fitted model no longer names the person, holds nothing per-user of
    theirs, and recommends to them no more; everyone else is unchanged."""
    matrix = checkerboard(20)
    ids = np.array([f"p_{u:02d}" for u in range(20)], dtype=object)
    model = RecsModel(make_recommender(kind, seed=3, threads=1).fit(matrix), ids, np.arange(20))
    others = pd.DataFrame({"person_id": [f"p_{u:02d}" for u in range(1, 20)]})
    before = model.predict(others)
    assert model.forget({"p_00", "p_unknown"}) == 1
    assert "p_00" not in set(model.user_ids)
    assert model.predict(pd.DataFrame({"person_id": ["p_00"]})).empty
    pd.testing.assert_frame_equal(model.predict(others), before)
    recommender = model.recommender
    if hasattr(recommender, "user_items"):
        assert recommender.user_items[0].nnz == 0
    if hasattr(recommender, "model"):
        assert not np.asarray(recommender.model.user_factors[0]).any()
    assert b"p_00" not in pickle.dumps(model)
