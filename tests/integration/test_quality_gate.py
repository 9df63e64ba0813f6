"""A model below its quality floor publishes nothing: its audiences go out empty and
the manifest, ml.model_skips and the run summary say why."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.nights import generate_sample, isolated_env, run_night

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DATE = "2026-04-30"


@pytest.fixture(scope="module")
def gated_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after a night whose churn floor (AUC 0.999) no model can reach."""
    home = tmp_path_factory.mktemp("pz_home_gate")
    generate_sample(
        home / "landing", customers=600, days=40, end_date=RUN_DATE, seed=3,
        env=isolated_env(home),
    )  # fmt: skip
    run_night(home, RUN_DATE, extra_env={"PZ_QUALITY_FLOORS": "churn=0.999"})
    return home


def test_a_model_below_its_floor_publishes_none_of_its_audiences(gated_night: Path) -> None:
    """Regression guard: a churn model of any quality fed the churn audience."""
    manifest = json.loads((gated_night / "exports" / RUN_DATE / "manifest.json").read_text())
    reason = manifest["skipped_models"]["churn"]
    assert reason.startswith("quality gate: holdout auc_roc ")
    assert "below the floor 0.999" in reason
    files = {f["audience"]: f for f in manifest["files"] if f["format"] == "parquet"}
    assert files["high_churn_risk"]["rows"] == 0
    assert files["high_churn_risk"]["empty_because"] == f"churn was skipped: {reason}"
    # high_value_at_risk needs churn too; customer_value has no gate and passed.
    assert files["high_value_at_risk"]["rows"] == 0
    assert files["high_value_at_risk"]["empty_because"] == f"churn was skipped: {reason}"
    assert "customer_value" not in manifest["skipped_models"]
    # The other models passed and their audiences went out.
    assert "recommendations" not in manifest["skipped_models"]
    assert files["product_recommendations"]["rows"] > 0
    assert "empty_because" not in files["product_recommendations"]

    with duckdb.connect(str(gated_night / "warehouse.duckdb"), read_only=True) as con:
        scores = con.execute(
            "select count(*) from ml.churn_scores where run_date = ?", [RUN_DATE]
        ).fetchone()[0]
        skips = con.execute("select model, reason from ml.model_skips").fetchall()
    assert scores == 0
    assert skips == [("churn", reason)]
    log = (gated_night / "dag_run.log").read_text()
    assert f"WARNING: model churn was skipped: {reason}" in log
