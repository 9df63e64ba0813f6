"""The quality gate's rule: a floor and a baseline per model, floors from the environment."""

from __future__ import annotations

import pytest

from pipeline.quality import GATES, failure, load_gates


def test_a_churn_model_below_the_floor_or_its_baseline_fails() -> None:
    gates = load_gates({})
    assert failure("churn", {"auc_roc": 0.80, "baseline_auc_roc": 0.75}, gates) is None
    below_floor = failure("churn", {"auc_roc": 0.55, "baseline_auc_roc": 0.50}, gates)
    assert below_floor == "quality gate: holdout auc_roc 0.5500 is below the floor 0.6"
    below_base = failure("churn", {"auc_roc": 0.70, "baseline_auc_roc": 0.72}, gates)
    assert below_base == "quality gate: holdout auc_roc 0.7000 is below the baseline's 0.7200"


def test_the_deployed_recommender_is_judged_against_popularity() -> None:
    gates = load_gates({})
    result = {"model": "als", "als_precision@10": 0.05, "popular_precision@10": 0.04}
    assert failure("recommendations", result, gates) is None
    worse = {**result, "als_precision@10": 0.03}
    assert "als_precision@10 0.0300 is below the baseline's 0.0400" in failure(
        "recommendations", worse, gates
    )


def test_floors_come_from_the_environment() -> None:
    gates = load_gates({"PZ_QUALITY_FLOORS": "churn=0.9, segments=0.2"})
    assert gates["churn"].floor == 0.9 and gates["segments"].floor == 0.2
    assert gates["recommendations"] == GATES["recommendations"]
    assert "below the floor 0.2" in failure("segments", {"silhouette": 0.1}, gates)
    assert failure("customer_value", {}, gates) is None  # no holdout, no gate


@pytest.mark.parametrize("value", ["nobody=0.5", "customer_value=1", "churn=high", "churn"])
def test_a_malformed_floor_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="PZ_QUALITY_FLOORS"):
        load_gates({"PZ_QUALITY_FLOORS": value})


def test_a_result_without_the_metric_fails_closed() -> None:
    assert failure("churn", {"skipped": "x"}, load_gates({})) == (
        "quality gate: the result has no auc_roc to judge"
    )
