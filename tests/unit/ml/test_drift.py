"""The population stability index against hand-computed values, and the drift check of a
night against a real MLflow store and a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml import drift, tracking
from warehouse.settings import load_settings

RUN_DATE = dt.date(2026, 3, 31)


def test_psi_of_two_bins_by_hand() -> None:
    # (0.8 - 0.5) ln(0.8 / 0.5) + (0.2 - 0.5) ln(0.2 / 0.5) = 0.3 ln 1.6 + 0.3 ln 2.5
    assert drift.psi([0.5, 0.5], [0.8, 0.2]) == pytest.approx(0.3 * math.log(1.6 * 2.5))
    assert drift.psi([0.5, 0.5], [0.8, 0.2]) == pytest.approx(0.415888, abs=1e-6)
    assert drift.psi([0.25] * 4, [0.25] * 4) == 0.0


def test_deciles_of_a_planted_shift_by_hand() -> None:
    reference = np.arange(100, dtype=float)
    edges = drift.bin_edges(reference)
    below = float(np.nextafter(0.0, -1.0))
    assert edges == [below, 9.0, 19.0, 29.0, 39.0, 49.0, 59.0, 69.0, 79.0, 89.0, 99.0]
    # Nobody below or above the training range, a tenth in each decile, none missing.
    assert drift.bin_shares(reference, edges) == pytest.approx([0.0] + [0.1] * 10 + [0.0, 0.0])
    # Everyone shifted up by 10: the first decile empties, a tenth is above the range.
    shifted = drift.bin_shares(reference + 10, edges)
    assert shifted == pytest.approx([0.0, 0.0] + [0.1] * 9 + [0.1, 0.0])
    # First decile: (0.0001 - 0.1) ln(0.0001 / 0.1); above: (0.1 - 0.0001) ln(0.1 / 0.0001);
    # the empty bins and the missing bin are floored on both sides and add nothing.
    by_hand = 2 * 0.0999 * math.log(1000)
    assert drift.psi(drift.bin_shares(reference, edges), shifted) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(1.380170, abs=1e-6)


def test_missing_values_have_their_own_bin() -> None:
    values = np.array([1.0, 2.0, np.nan, np.nan])
    assert drift.bin_shares(values, [1.5]) == [0.25, 0.25, 0.5]
    # Half missing tonight against none in training.
    by_hand = 2 * (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert drift.psi([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(by_hand)


def test_a_column_with_few_values_gets_few_bins() -> None:
    below = float(np.nextafter(0.0, -1.0))
    assert drift.bin_edges(np.array([0.0] * 90 + [1.0] * 10)) == [below, 0.0, 1.0]
    assert drift.bin_edges(np.array([])) == []


def test_a_constant_training_column_still_shows_a_shift() -> None:
    # Regression: a feature that was 0 for every training example put everything in one
    # bin, so tonight's values of 12 and more read as no drift at all.
    edges = drift.bin_edges(np.zeros(50))
    assert drift.bin_shares(np.zeros(50), edges) == [0.0, 1.0, 0.0, 0.0]
    assert drift.bin_shares(np.full(10, 12.0), edges) == [0.0, 0.0, 1.0, 0.0]
    # Everything moved from one bin to the empty one: 2 x (1 - 0.0001) ln(1 / 0.0001).
    assert drift.psi([0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]) == pytest.approx(
        2 * 0.9999 * math.log(1e4)
    )


def test_only_the_shifted_feature_trips_the_threshold() -> None:
    rng = np.random.default_rng(7)
    train = pd.DataFrame(
        {"recency_days": rng.exponential(30, 5000), "orders": rng.poisson(3, 5000)}
    )
    tonight = pd.DataFrame(
        {"recency_days": rng.exponential(30, 5000) + 40, "orders": rng.poisson(3, 5000)}
    )
    scores = rng.uniform(size=5000)
    reference = drift.reference_of(train, ["recency_days", "orders"], {"p": scores})
    results = {
        (r.kind, r.name): r
        for r in drift.compare(reference, tonight, {"p": rng.uniform(size=5000)}, 0.2)
    }
    assert results["feature", "recency_days"].status == drift.DRIFT
    assert results["feature", "recency_days"].psi > 1.0
    assert results["feature", "orders"].status == drift.OK
    assert results["feature", "orders"].psi < 0.02
    assert results["score", "p"].status == drift.OK


def test_a_feature_missing_tonight_is_drift_not_silence() -> None:
    train = pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50.0)})
    reference = drift.reference_of(train, ["a", "b"], {})
    results = drift.compare(reference, train[["a"]], {}, 0.2)
    assert [(r.name, r.status) for r in results] == [("a", drift.OK), ("b", drift.DRIFT)]
    assert drift.compare(None, train, {}, 0.2)[0].status == drift.NO_REFERENCE


class Echo:
    """A model whose prediction is its input's column x."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["x"].to_numpy()


@pytest.fixture
def night(tmp_path: Path) -> tuple[str, Path]:
    uri = f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    tracking.init_store(uri)
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create schema ml; create table ml.feature_drift (run_date date, model varchar, "
            "model_version varchar, kind varchar, name varchar, psi double, threshold double, "
            "status varchar)"
        )
    return uri, db


def _train(uri: str, frame: pd.DataFrame, tag: str, scorer: tracking.ModelRef | None, db: Path):
    settings = load_settings({"PZ_DUCKDB_PATH": str(db), "PZ_DRIFT_PSI_WARN": "0.25"})
    with tracking.training_run("churn", tag, uri):
        ref = tracking.log_model(Echo(tag), "toy", frame.head(2))
        reference = drift.reference_of(frame, ["x"], {"score": frame["x"]})
        tonight = pd.DataFrame({"x": np.arange(100.0)})
        result = drift.check(
            "toy", RUN_DATE, ref, scorer or ref, reference, tonight, {"score": tonight["x"]},
            settings,
        )  # fmt: skip
    return ref, result


def test_a_night_compares_with_the_training_data_of_the_version_that_scores(
    night: tuple[str, Path],
) -> None:
    uri, db = night
    first, result = _train(uri, pd.DataFrame({"x": np.arange(100.0)}), "first", None, db)
    assert result == {"drift_max_psi": 0.0, "drift_threshold": 0.25, "drifted": []}
    # A second version trained on shifted data; the first still scores the night, so the
    # night compares with the first version's stored training data: no drift.
    shifted = pd.DataFrame({"x": np.arange(100.0) + 50})
    _, kept = _train(uri, shifted, "second", first, db)
    assert kept["drifted"] == []
    # The second version scoring the same night compares with its own training data.
    third, moved = _train(uri, shifted + 1, "third", None, db)
    assert moved["drifted"] == ["feature:x", "score:score"]
    assert moved["drift_max_psi"] > 0.25
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select model, model_version, kind, name, status, threshold from ml.feature_drift "
            "order by kind"
        ).fetchall()
    assert rows == [
        ("toy", third.version, "feature", "x", "drift", 0.25),
        ("toy", third.version, "score", "score", "drift", 0.25),
    ]
    stored = tracking.load_version_dict(first, drift.REFERENCE_ARTIFACT)
    assert stored["columns"]["feature:x"]["edges"] == pytest.approx(
        drift.bin_edges(np.arange(100.0))
    )


def test_a_version_without_a_reference_says_so(night: tuple[str, Path]) -> None:
    uri, db = night
    with tracking.training_run("churn", "old", uri):
        old = tracking.log_model(Echo("old"), "toy", pd.DataFrame({"x": [1.0, 2.0]}))
    _, result = _train(uri, pd.DataFrame({"x": np.arange(10.0)}), "new", old, db)
    assert result["drift_unmeasured"] is True and result["drifted"] == []
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select name, status, psi from ml.feature_drift").fetchall() == [
            ("*", "no_reference", None)
        ]
