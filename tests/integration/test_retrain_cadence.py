"""The retrain cadence: a model trains when due and otherwise scores with its version.

Real dbt-built warehouse, a real MLflow store and the night's own entry point,
``pipeline.models.score``, for every model.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from ml import tracking
from ml.registry import MODELS, OUTPUT_TABLES
from ml.scoring import SCORING_ONLY_TAG
from pipeline.models import retrain_days, score
from tests.integration.conftest import END
from warehouse import db
from warehouse.settings import Settings, load_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DATE = END.isoformat()
ORDER = {
    "segments": "person_id",
    "churn": "person_id",
    "recommendations": "person_id, rank",
    "customer_value": "person_id",
}


@pytest.fixture(scope="module")
def settings(built_warehouse: Path, tmp_path_factory) -> Settings:
    home = tmp_path_factory.mktemp("cadence_home")
    shutil.copy(built_warehouse, home / "warehouse.duckdb")
    settings = load_settings({"PZ_HOME": str(home)})
    tracking.init_store(settings.mlflow_tracking_uri)
    return settings


def rows(settings: Settings, model: str) -> list[dict]:
    return db.read_arrow(
        f"select * from {OUTPUT_TABLES[model]} where run_date = $d order by {ORDER[model]}",
        {"d": END},
        settings.duckdb_path,
    ).to_pylist()


def versions(settings: Settings, model: str) -> list[str]:
    client = MlflowClient(settings.mlflow_tracking_uri)
    return sorted(str(v.version) for v in client.search_model_versions(f"name = '{model}'"))


@pytest.fixture(scope="module")
def nights(settings: Settings) -> dict[str, dict]:
    """Per model: the training night, then a second night of the same date that only
    scores (trained 0 days before, weekly cadence)."""
    out = {}
    for model in MODELS:
        trained = score(model, RUN_DATE, settings)
        trained_rows = rows(settings, model)
        trained_versions = versions(settings, model)
        # A night is a new process: nothing may rely on the store the training set.
        mlflow.set_tracking_uri(f"sqlite:///{settings.home / 'not_the_store.db'}")
        scored = score(model, RUN_DATE, settings)
        out[model] = {
            "trained": trained,
            "trained_rows": trained_rows,
            "trained_versions": trained_versions,
            "scored": scored,
            "scored_rows": rows(settings, model),
            "scored_versions": versions(settings, model),
        }
    return out


@pytest.mark.parametrize("model", list(MODELS))
def test_a_night_between_trainings_scores_with_the_champion(nights: dict, model: str) -> None:
    night = nights[model]
    assert night["trained"]["trained"] is True, night["trained"]
    assert night["scored"]["trained"] is False, night["scored"]
    assert "every 7" in night["scored"]["training_reason"]
    assert night["scored"]["days_since_training"] == 0
    # No version registered; the champion scored, and gave the training night's rows.
    assert night["scored_versions"] == night["trained_versions"]
    assert night["scored"]["champion_version"] == night["trained"]["champion_version"]
    assert night["scored"]["rows_written"] == night["trained"]["rows_written"] > 0
    assert night["scored_rows"] == night["trained_rows"]


def test_a_scoring_night_is_judged_on_the_holdout_it_was_chosen_on(nights: dict) -> None:
    """The gate's keys come from the training run (pipeline.quality.GATES)."""
    churn, recs = nights["churn"], nights["recommendations"]
    assert churn["scored"]["auc_roc"] == pytest.approx(churn["trained"]["auc_roc"])
    assert churn["scored"]["baseline_auc_roc"] == pytest.approx(
        churn["trained"]["baseline_auc_roc"]
    )
    assert recs["scored"]["model"] == recs["trained"]["model"]
    key = f"{recs['trained']['model']}_precision@10"
    assert recs["scored"][key] == pytest.approx(recs["trained"][key])
    assert "skipped" not in churn["scored"] and "skipped" not in recs["scored"]


def test_the_scoring_night_is_an_mlflow_run_of_its_own(settings: Settings, nights: dict) -> None:
    client = MlflowClient(settings.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name("churn")
    runs = client.search_runs(
        [experiment.experiment_id], f"tags.{SCORING_ONLY_TAG} = 'true'", max_results=10
    )
    assert len(runs) == 1
    assert runs[0].data.tags["scored_with_version"] == nights["churn"]["scored"]["model_version"]
    assert runs[0].data.metrics["rows_scored"] == nights["churn"]["scored"]["rows_written"]


def test_retrain_forces_a_training(settings: Settings, nights: dict) -> None:
    result = score("customer_value", RUN_DATE, settings, retrain=True)
    assert result["trained"] is True
    assert result["training_reason"] == "retraining was asked for"


def test_a_backfill_never_scores_with_a_later_model(
    settings: Settings, nights: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once every version was trained after the run date, the night has nothing to
    score with: it trains its own, and the champion alias stays where it was."""
    client = MlflowClient(settings.mlflow_tracking_uri)
    for version in client.search_model_versions("name = 'segments'"):
        client.set_model_version_tag(
            "segments", version.version, tracking.TRAINED_THROUGH_TAG, "2999-01-01"
        )
        # Trained on other data: tonight's identical fit is not the same version.
        client.delete_model_version_tag("segments", version.version, "model_sha256")
    champion = tracking.alias_version("segments", tracking.CHAMPION, settings.mlflow_tracking_uri)
    monkeypatch.setenv("PZ_RETRAIN_DAYS", "30")
    result = score("segments", RUN_DATE, settings)
    assert result["trained"] is True
    assert result["training_reason"] == "no version trained through the run date can score"
    assert result["promoted"] is False
    assert result["champion_version"] == result["model_version"] != champion.version
    after = tracking.alias_version("segments", tracking.CHAMPION, settings.mlflow_tracking_uri)
    assert after == champion


def test_the_cadence_counts_days_since_the_last_training(settings: Settings, nights: dict) -> None:
    """A week after the training, the weekly cadence is due; six days after, it is not."""
    plan = tracking.schedule(
        "churn", (END + dt.timedelta(days=6)).isoformat(), settings.mlflow_tracking_uri
    )
    assert (
        plan.scorer is not None
        and plan.days_since_training((END + dt.timedelta(days=6)).isoformat()) == 6
    )
    assert plan.last_trained == RUN_DATE
    assert plan.days_since_training((END + dt.timedelta(days=7)).isoformat()) >= 7


def test_retrain_days_reads_a_default_and_per_model_entries() -> None:
    assert set(retrain_days({}).values()) == {7}
    days = retrain_days({"PZ_RETRAIN_DAYS": "14, churn=1"})
    assert days["churn"] == 1 and days["segments"] == days["recommendations"] == 14
    assert retrain_days({"PZ_RETRAIN_DAYS": "recommendations=3"})["recommendations"] == 3
    for bad in ("churn=0", "weekly", "nosuch=3", "churn=1.5"):
        with pytest.raises(ValueError, match="PZ_RETRAIN_DAYS"):
            retrain_days({"PZ_RETRAIN_DAYS": bad})


def test_a_mart_built_for_another_night_fails_the_model(settings: Settings, nights: dict) -> None:
    """Last in the module: it rebuilds customer_rfm for the day before."""
    from pipeline.errors import DataError
    from tests.integration.conftest import dbt

    built = db.read_arrow(
        "select run_date from meta.model_run_dates where relation = 'marts.customer_rfm'",
        path=settings.duckdb_path,
    ).to_pylist()
    assert built == [{"run_date": END}]
    dbt(["run", "-s", "customer_rfm"], settings.duckdb_path, END - dt.timedelta(days=1))
    with pytest.raises(DataError, match=r"marts\.customer_rfm \(built for 2026-06-29\)"):
        score("customer_value", RUN_DATE, settings)
    # The other models read nothing that was rebuilt.
    assert score("segments", RUN_DATE, settings)["rows_written"] > 0
