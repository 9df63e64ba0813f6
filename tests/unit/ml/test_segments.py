"""Segmentation on literal frames: planted clusters, readable names, stable ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from ml.segments.model import (
    CLUSTERERS,
    choose,
    describe,
    make_clusterer,
    make_scaler,
    match_ids,
    name_segments,
    profiles,
    select_model,
)
from ml.segments.pipeline import assign

CENTRES = {  # orders_365d, revenue_365d, recency_days, product_views_90d
    "loyal": (12.0, 2400.0, 10.0, 30.0),
    "browser": (0.0, 0.0, 400.0, 80.0),
    "lapsing": (1.0, 60.0, 600.0, 1.0),
}


def people(n_per: int = 150, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well separated groups of customers, and the group of each row."""
    rng = np.random.default_rng(seed)
    frames, truth = [], []
    for g, centre in enumerate(CENTRES.values()):
        values = np.abs(np.array(centre) * (1 + 0.08 * rng.normal(size=(n_per, 4))))
        frames.append(
            pd.DataFrame(
                values, columns=["orders_365d", "revenue_365d", "recency_days", "product_views_90d"]
            )
        )
        truth += [g] * n_per
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "person_id", [f"p{i:04d}" for i in range(len(frame))])
    frame["tenure_days"] = 500.0
    return frame, np.array(truth)


FEATURES = ["orders_365d", "revenue_365d", "recency_days", "product_views_90d", "tenure_days"]


@pytest.mark.parametrize("kind", sorted(CLUSTERERS))
def test_every_clusterer_recovers_a_clear_structure(kind: str) -> None:
    frame, truth = people()
    model = select_model(frame, FEATURES, k_range=range(3, 4), kinds=(kind,), seed=1).model
    assert adjusted_rand_score(truth, model.predict(frame)) > 0.95
    assert make_clusterer(kind, 3).k == 3


def test_k_is_chosen_by_stability_and_silhouette() -> None:
    frame, truth = people()
    selection = select_model(frame, FEATURES, k_range=range(2, 7), seed=1)
    assert selection.model.clusterer.k == 3
    assert set(selection.scores["kind"]) == {"kmeans", "gmm"}
    chosen = selection.scores.loc[
        (selection.scores["kind"] == selection.model.clusterer.kind) & (selection.scores["k"] == 3)
    ]
    assert chosen["stability"].iloc[0] > 0.95
    assert adjusted_rand_score(truth, selection.model.predict(frame)) > 0.95


def test_names_read_from_the_profiles() -> None:
    frame, truth = people()
    table = profiles(frame, truth, FEATURES)
    names = name_segments(table, frame[FEATURES].mean())
    assert names == {0: "high-value loyal", 1: "window browser", 2: "dormant"}
    assert describe(table.loc[0].drop("orders_365d"), frame[FEATURES].mean()) != ""


def test_hungarian_matching_keeps_ids_under_permutation() -> None:
    previous = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
    ids = [7, 3, 9]
    shuffled = previous[[2, 0, 1]] + 0.1
    assert match_ids(shuffled, previous, ids) == [9, 7, 3]
    # One more cluster than before: the extra one gets a new id.
    grown = np.vstack([shuffled, [[20.0, 20.0]]])
    assert match_ids(grown, previous, ids) == [9, 7, 3, 10]
    # No previous run: ids by decreasing size.
    assert match_ids(previous, np.empty((0, 2)), [], np.array([5, 50, 20])) == [3, 1, 2]


def test_segment_ids_survive_a_refit_with_another_seed() -> None:
    """Regression: cluster labels are arbitrary, segment ids must not be."""
    frame, _ = people()
    first = select_model(frame, FEATURES, k_range=range(3, 4), seed=1).model
    people_a, table = assign(first, frame, pd.DataFrame())
    previous = table[FEATURES].stack().reset_index()
    previous.columns = ["segment_id", "feature", "value"]
    shuffled = frame.sample(frac=1.0, random_state=5).reset_index(drop=True)
    second = select_model(shuffled, FEATURES, k_range=range(3, 4), seed=99).model
    people_b, _ = assign(second, shuffled, previous)
    merged = people_a.merge(people_b, on="person_id")
    assert (merged["segment_id_x"] == merged["segment_id_y"]).mean() > 0.98
    assert (merged["segment_name_x"] == merged["segment_name_y"]).mean() > 0.98
    assert (people_a["distance"] >= 0).all()


def test_the_best_silhouette_among_the_stable_candidates_is_kept() -> None:
    """Regression guard: k was chosen by silhouette alone, so an unstable k with a
    slightly higher silhouette won."""
    scores = pd.DataFrame(
        {
            "kind": ["kmeans"] * 4,
            "k": [3, 4, 5, 6],
            "silhouette": [0.22, 0.21, 0.24, 0.25],
            "stability": [0.45, 0.97, 0.93, 0.70],
        }
    )
    assert choose(scores) == 2  # k = 5: k = 6 scores higher but is unstable
    assert choose(scores.assign(stability=0.5)) == 0  # none stable: the most stable (a tie)
    assert choose(scores, bar=0.96) == 1


def test_a_ratio_without_a_denominator_is_imputed_not_zero() -> None:
    """Someone without an order has no items per order; reading it as 0 made non-buyers
    one extreme cluster on every ratio."""
    frame = pd.DataFrame(
        {
            "orders_365d": [0.0, 2.0, 4.0, 6.0],
            "items_per_order_365d": [np.nan, 1.0, 2.0, 3.0],
        }
    )
    features = ["orders_365d", "items_per_order_365d"]
    scaler = make_scaler(features).fit(frame)
    scaled = scaler.transform(frame)
    assert scaled[0, 1] == pytest.approx(scaled[2, 1])  # the median of the known ones
