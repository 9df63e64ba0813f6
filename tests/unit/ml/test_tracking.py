"""Champion/challenger aliases against a real MLflow SQLite store in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import tracking


class Constant:
    """A model that predicts one number: its 'quality' is that number."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), self.value)


@pytest.fixture
def store(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    tracking.init_store(uri)
    tracking.init_store(uri)  # idempotent
    return uri


def train(uri: str, value: float) -> tracking.Promotion:
    """One 'training run': log, register, and promote against the same holdout."""
    example = pd.DataFrame({"x": [1.0, 2.0]})
    with tracking.training_run("churn", f"v={value}", uri):
        tracking.log_metrics({"auc@10": value})
        ref = tracking.log_model(Constant(value), "toy", example)
        return tracking.promote(ref, value, lambda champion: champion.value, "score")


def test_champion_moves_only_when_the_new_version_is_at_least_as_good(store: str) -> None:
    first = train(store, 0.7)
    assert first.promoted and first.champion.version == "1"

    worse = train(store, 0.6)
    assert not worse.promoted and worse.champion_score == 0.7
    assert tracking.alias_version("toy", "champion", store).version == "1"
    assert tracking.alias_version("toy", "challenger", store).version == "2"
    assert tracking.load_model(worse.champion).value == 0.7  # scoring uses the champion

    better = train(store, 0.8)
    assert better.promoted and better.champion.version == "3"
    assert tracking.alias_version("toy", "champion", store).version == "3"

    same = train(store, 0.8)  # identical model: no new version, still champion
    assert same.new.version == "3" and same.promoted


def test_artifacts_live_beside_the_store(store: str, tmp_path: Path) -> None:
    assert tracking.artifact_root(store) == tmp_path / "mlflow" / "artifacts"
    with tracking.training_run("segments", "plots", store):
        from ml import plots

        tracking.log_figure(plots.line([1, 2], {"a": [0.1, 0.2]}, "k", "s", "t"), "plots/a.png")
    assert list((tmp_path / "mlflow" / "artifacts" / "segments").rglob("a.png"))
    assert tracking.alias_version("nothing", "champion", store) is None


def test_experiments_are_classic_ml_so_the_ui_opens_on_runs(store: str) -> None:
    """Regression: the experiments opened on MLflow 3's GenAI traces page."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(store)
    for name in tracking.EXPERIMENTS:
        tags = client.get_experiment_by_name(name).tags
        assert (
            tags[tracking.EXPERIMENT_KIND_TAG]
            == tracking.CLASSIC_ML_KIND
            == ("custom_model_development")
        )


def test_runs_of_one_name_are_numbered_and_versions_described(store: str) -> None:
    """Regression: three runs were all named "churn 2026-03-31"; versions had no description."""
    from mlflow.tracking import MlflowClient

    example = pd.DataFrame({"x": [1.0, 2.0]})
    for value in (0.1, 0.2):
        with tracking.training_run("churn", "churn 2026-03-31", store, tags={"run_date": "x"}):
            tracking.log_model(Constant(value), "toy", example)
    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("churn").experiment_id
    names = sorted(r.info.run_name for r in client.search_runs([experiment]))
    assert names == ["churn 2026-03-31 #1", "churn 2026-03-31 #2"]
    second = client.get_model_version("toy", "2")
    assert "churn 2026-03-31 #2" in second.description and "run_date=x" in second.description


def train_on(uri: str, value: float, run_date: str, evaluated: list[float]) -> tracking.Promotion:
    """One night of ``run_date``; ``evaluated`` collects the champions it evaluated."""

    def evaluate(champion: Constant) -> float:
        evaluated.append(champion.value)
        return champion.value

    example = pd.DataFrame({"x": [1.0, 2.0]})
    with tracking.training_run("churn", f"{run_date} v={value}", uri):
        ref = tracking.log_model(Constant(value), "toy", example)
        return tracking.promote_as_of(ref, value, evaluate, "score", run_date=run_date)


def test_a_backfill_neither_reads_nor_moves_a_later_model(store: str) -> None:
    """Regression guard: champion was one global alias, so a backfill compared against
    (and could score with) a model trained on later data, and moved the alias back."""
    evaluated: list[float] = []
    june = train_on(store, 0.7, "2026-06-30", evaluated)
    assert june.promoted and june.champion.version == "1"
    assert tracking.trained_through(june.new) == "2026-06-30"

    march = train_on(store, 0.9, "2026-03-31", evaluated)
    assert evaluated == []  # the June model was never loaded nor scored
    assert not march.promoted and march.champion == march.new  # scores with its own version
    assert tracking.trained_through(march.new) == "2026-03-31"
    assert tracking.alias_version("toy", "champion", store).version == "1"
    assert tracking.alias_version("toy", "challenger", store) is None

    # A second backfill between them: the June champion is still out of reach; a worse
    # new model still scores, since no version trained through April is champion.
    april = train_on(store, 0.5, "2026-04-30", evaluated)
    assert evaluated == [] and april.champion == april.new
    assert tracking.alias_version("toy", "champion", store).version == "1"

    # The next regular night compares with the June champion, trained through its date.
    july = train_on(store, 0.8, "2026-07-31", evaluated)
    assert evaluated == [0.7] and july.promoted
    assert tracking.alias_version("toy", "champion", store).version == july.new.version


def test_a_backfill_uses_an_earlier_champion_when_it_is_better(store: str) -> None:
    evaluated: list[float] = []
    train_on(store, 0.8, "2026-01-31", evaluated)  # champion, trained through January
    train_on(store, 0.6, "2026-06-30", evaluated)  # a later challenger
    assert tracking.alias_version("toy", "champion", store).version == "1"
    march = train_on(store, 0.7, "2026-03-31", evaluated)  # backfill: later version exists
    assert evaluated == [0.8, 0.8]
    assert not march.promoted and march.champion.version == "1"
    assert tracking.alias_version("toy", "champion", store).version == "1"


def test_a_run_records_its_data_by_digest_and_schema_without_rows_or_ids(store: str) -> None:
    """Regression: no dataset was logged. The dataset names its columns and digest; the
    person ids are neither in its schema nor behind its digest, and no row is stored."""
    import json

    from mlflow.tracking import MlflowClient

    frame = pd.DataFrame({"person_id": ["p_1", "p_2"], "recency": [3.0, 40.0]})
    with tracking.training_run("churn", "with data", store) as run_id:
        tracking.log_dataset(frame, "churn_examples")
    inputs = MlflowClient(store).get_run(run_id).inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["churn_examples"]
    dataset = inputs[0].dataset
    assert json.loads(dataset.profile) == {"num_rows": 2, "num_elements": 2}
    assert [c["name"] for c in json.loads(dataset.schema)["mlflow_colspec"]] == ["recency"]
    assert "p_1" not in dataset.source + dataset.schema + dataset.profile
    with tracking.training_run("churn", "other ids", store) as again:
        tracking.log_dataset(frame.assign(person_id=["p_8", "p_9"]), "churn_examples")
    other = MlflowClient(store).get_run(again).inputs.dataset_inputs[0].dataset
    assert other.digest == dataset.digest


def test_a_metric_named_after_a_long_column_is_logged_under_a_name_mlflow_accepts(
    store: str,
) -> None:
    """A feature named after a long category name gave a PSI metric name over MLflow's
    limit, and the model's step failed."""
    from mlflow.tracking import MlflowClient

    long_a = "psi.feature.category_share__" + "a" * 300
    long_b = "psi.feature.category_share__" + "a" * 299 + "b"
    with tracking.training_run("churn", "long names", store) as run_id:
        tracking.log_metrics({long_a: 1.0, long_b: 2.0, "precision@10": 0.5})
    logged = MlflowClient(store).get_run(run_id).data.metrics
    assert logged[tracking.metric_name(long_a)] == 1.0
    assert logged[tracking.metric_name(long_b)] == 2.0
    assert logged["precision_at_10"] == 0.5
    assert all(len(name) <= tracking.MAX_METRIC_NAME for name in logged)
    assert tracking.metric_name(long_a) != tracking.metric_name(long_b)
