"""The three models end to end: real DuckDB built by real dbt, a real MLflow store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ml import churn, recs, segments, tracking
from ml.recs.model import KINDS
from tests.integration.conftest import END
from warehouse import db
from warehouse.settings import Settings, load_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TABLES = {
    "ml.customer_segments": "person_id",
    "ml.churn_scores": "person_id",
    "ml.recommendations": "person_id, rank",
}


@pytest.fixture(scope="module")
def settings(built_warehouse: Path, tmp_path_factory) -> Settings:
    """A private copy of the built warehouse and a fresh MLflow store, initialised once."""
    home = tmp_path_factory.mktemp("ml_home")
    shutil.copy(built_warehouse, home / "warehouse.duckdb")
    settings = load_settings({"PZ_HOME": str(home)})
    tracking.init_store(settings.mlflow_tracking_uri)
    return settings


@pytest.fixture(scope="module")
def first_run(settings: Settings) -> dict[str, dict]:
    return {
        "segments": segments.train_and_score(END, settings, seed=1, k_range=range(3, 6)),
        "churn": churn.train_and_score(END, settings, seed=1),
        "recommendations": recs.train_and_score(END, settings, seed=1),
    }


def snapshot(settings: Settings, table: str) -> list[dict]:
    order = TABLES[table]
    return db.read_arrow(
        f"select * from {table} where run_date = $d order by {order}",
        {"d": END},
        settings.duckdb_path,
    ).to_pylist()


def test_scores_cover_the_populations(settings: Settings, first_run: dict) -> None:
    path = settings.duckdb_path
    people = db.read_arrow("select count(*) as n from marts.dim_customers", path=path)
    n_people = people["n"][0].as_py()
    per_person = db.read_arrow(
        """
        select count(*) as n, count(distinct product_id) as d, min(rank) as lo, max(rank) as hi
        from ml.recommendations where run_date = $d group by person_id
    """,
        {"d": END},
        path,
    ).to_pandas()
    assert len(per_person) == n_people
    assert (per_person[["n", "d", "hi"]] == 10).all().all() and (per_person["lo"] == 1).all()

    segmented = db.read_arrow("select count(*) as n from ml.customer_segments", path=path)
    features = db.read_arrow("select count(*) as n from marts.customer_features", path=path)
    assert segmented["n"][0].as_py() == features["n"][0].as_py()

    unexpected = db.read_arrow(
        """
        select count(*) as n from ml.churn_scores as s
        where not exists (
            select 1 from marts.fct_orders as o
            where o.person_id = s.person_id and o.is_revenue
              and o.order_date > s.run_date - 365 and o.order_date <= s.run_date)
           or risk_band not in ('high', 'medium', 'low')
           or churn_probability not between 0 and 1
    """,
        path=path,
    )
    assert unexpected["n"][0].as_py() == 0
    assert first_run["churn"]["rows_written"] > 0


def test_every_score_row_carries_the_version_that_scored_it(
    settings: Settings, first_run: dict
) -> None:
    """Regression guard: ml.customer_segments and ml.recommendations had no
    model_version, so the export manifest could not say which model made a file."""
    models = {
        "ml.customer_segments": "segments",
        "ml.churn_scores": "churn",
        "ml.recommendations": "recommendations",
    }
    for table, model in models.items():
        versions = db.read_arrow(
            f"select distinct model_version from {table} where run_date = $d",
            {"d": END},
            settings.duckdb_path,
        ).column(0)
        assert versions.to_pylist() == [first_run[model]["champion_version"]], table


def test_no_purchased_or_inactive_product_is_recommended(
    settings: Settings, first_run: dict
) -> None:
    bad = db.read_arrow(
        """
        select count(*) as n
        from ml.recommendations as r
        left join marts.dim_products as p using (product_id)
        left join marts.customer_item_interactions as i using (person_id, product_id)
        where not coalesce(p.is_active, false) or coalesce(i.purchase_count, 0) > 0
    """,
        path=settings.duckdb_path,
    )
    assert bad["n"][0].as_py() == 0


def test_models_are_registered_with_a_champion_and_beat_their_baselines(
    settings: Settings, first_run: dict
) -> None:
    for name in ("segments", "churn", "recommendations"):
        assert tracking.alias_version(name, "champion", settings.mlflow_tracking_uri)
        assert first_run[name]["promoted"]
    assert first_run["recommendations"]["beats_popularity"]
    assert first_run["churn"]["auc_roc"] > 0.7
    churn = first_run["churn"]
    assert churn["deployed_kind"] in {"btyd", "logistic", "xgboost"}
    assert churn["auc_roc"] == max(churn[f"{k}_auc_roc"] for k in ("btyd", "logistic", "xgboost"))
    assert churn["lift_over_btyd"] == churn["auc_roc"] - churn["baseline_auc_roc"]
    plots = list((settings.mlflow_dir / "artifacts").rglob("*.png"))
    names = {p.name for p in plots}
    assert {
        "roc.png",
        "pr.png",
        "calibration.png",
        "shap_summary.png",
        "silhouette_by_k.png",
        "cluster_profiles.png",
        "precision_at_k_vs_baseline.png",
    } <= names


def test_rerunning_a_date_replaces_its_rows_with_identical_ones(
    settings: Settings, first_run: dict
) -> None:
    before = {table: snapshot(settings, table) for table in TABLES}
    segments.train_and_score(END, settings, seed=1, k_range=range(3, 6))
    again_churn = churn.train_and_score(END, settings, seed=1)
    again_recs = recs.train_and_score(END, settings, seed=1)
    assert again_churn["model_version"] == first_run["churn"]["model_version"]
    assert again_recs["model_version"] == first_run["recommendations"]["model_version"]
    for table in TABLES:
        assert snapshot(settings, table) == before[table], table


def test_the_best_recommender_on_the_holdout_deploys(settings: Settings, first_run: dict) -> None:
    """Regression guard: ALS deployed whatever the holdout said, even when BPR or
    popularity scored higher on it."""
    result = first_run["recommendations"]
    scores = {kind: result[f"{kind}_precision@10"] for kind in KINDS}
    assert result["model"] == max(KINDS, key=lambda kind: (scores[kind], -KINDS.index(kind)))
    assert scores[result["model"]] >= scores["popular"]
    sources = db.read_arrow(
        "select distinct source from ml.recommendations where run_date = $d",
        {"d": END},
        settings.duckdb_path,
    ).column(0)
    assert set(sources.to_pylist()) <= {result["model"], "popular"}
    assert result["model"] in sources.to_pylist()


def test_the_supervised_reference_tells_the_planted_personas_apart(
    settings: Settings, first_run: dict, sample_landing: Path
) -> None:
    """ml.quality judges the segments against what a classifier that knows the personas
    reaches on the same features; on the generator's planted personas that classifier
    must recover much of them, and the unsupervised segments less."""
    from ml import quality

    truth = sample_landing / "_truth"
    supervised = quality.supervised_ari(END, truth, settings.duckdb_path)
    report = quality.segment_quality(END, truth, settings.duckdb_path)
    assert 0.3 < supervised <= 1.0
    assert report["supervised_ari"] == pytest.approx(supervised)
    assert report["ari_vs_personas"] < supervised
    assert report["share_of_supervised"] == pytest.approx(report["ari_vs_personas"] / supervised)
