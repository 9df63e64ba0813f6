"""Every mart, ml table and audience model has an enforced contract and every column a
description: read from the manifest of a real `dbt parse`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.integration.conftest import DBT
from warehouse.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

#: The folders whose models are the warehouse's interface: marts for analysts and the
#: models, ml for the scores, audiences for the exports.
CONTRACTED = ("marts/", "ml/", "audiences/")
ML_TABLES = {
    "customer_segments",
    "segment_centroids",
    "churn_scores",
    "recommendations",
    "model_skips",
    "customer_value",
    "feature_drift",
    "model_metrics",
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The manifest of `dbt parse` (no warehouse needed), in a temporary target path."""
    target = tmp_path_factory.mktemp("dbt_parse")
    env = {**os.environ, "PZ_DUCKDB_PATH": str(target / "unused.duckdb")}
    proc = subprocess.run(
        [DBT, "parse", "--profiles-dir", ".", "--target-path", str(target), "--no-partial-parse"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    return json.loads((target / "manifest.json").read_text())


def interface_models(manifest: dict) -> list[dict]:
    """The models of the contracted folders, ephemeral working sets left out (dbt does
    not enforce contracts on them: they are not tables)."""
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].removeprefix("models/").startswith(CONTRACTED)
        and node["config"]["materialized"] != "ephemeral"
    ]


def test_the_check_sees_every_interface_model(manifest: dict) -> None:
    names = {node["name"] for node in interface_models(manifest)}
    assert {"dim_customers", "customer_features", "membership", "aud_vip"} <= names
    assert {"churn_training_examples", "recs_holdout_purchases", "ml_churn_scores"} <= names
    assert "int_audience_candidates_joined" not in names


def test_every_interface_model_has_an_enforced_contract(manifest: dict) -> None:
    """Regression: no model's contract was enforced, so a column's type could drift."""
    missing = sorted(
        node["name"]
        for node in interface_models(manifest)
        if not node["config"].get("contract", {}).get("enforced")
    )
    assert missing == [], f"models without an enforced contract: {missing}"


def test_every_interface_column_is_typed_and_described(manifest: dict) -> None:
    """Regression: the README said every column was documented while customer_features
    documented 3 of its columns and dim_customers 18 of 38."""
    gaps = sorted(
        f"{node['name']}.{name}: {problem}"
        for node in interface_models(manifest)
        for name, column in node["columns"].items()
        for problem, missing in (
            ("no data_type", not column.get("data_type")),
            ("no description", not column.get("description", "").strip()),
        )
        if missing
    )
    assert gaps == [], "\n".join(gaps)
    empty = [node["name"] for node in interface_models(manifest) if not node["columns"]]
    assert empty == []


#: The ml tables whose contract gained a column after warehouses existed: the next
#: build adds it to an existing table (tests/integration/test_ml_table_migration.py).
APPEND_NEW_COLUMNS = {"customer_segments", "recommendations"}


def test_ml_tables_keep_their_history(manifest: dict) -> None:
    """The ml tables are incremental models that a --full-refresh leaves alone and that
    fail rather than silently follow a schema change, except that the tables listed in
    APPEND_NEW_COLUMNS add a column their contract gained."""
    tables = {
        node["alias"]: node["config"]
        for node in interface_models(manifest)
        if node["original_file_path"].startswith("models/ml/")
    }
    assert set(tables) == ML_TABLES
    for alias, config in tables.items():
        assert config["schema"] == "ml", alias
        assert config["materialized"] == "incremental", alias
        assert config["full_refresh"] is False, alias
        expected = "append_new_columns" if alias in APPEND_NEW_COLUMNS else "fail"
        assert config["on_schema_change"] == expected, alias


def test_no_hook_writes_on_every_command(manifest: dict) -> None:
    """Regression: an on-run-start hook created the ml tables on every dbt command,
    `dbt docs generate` included. The one hook left records run dates, and only after
    the commands that build (build, run, seed)."""
    hooks = {
        n["name"]: n["raw_code"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "operation"
    }
    assert list(hooks) == ["personalization-on-run-end-0"]
    assert hooks["personalization-on-run-end-0"].strip() == "{{ record_run_dates(results) }}"
    macro = manifest["macros"]["macro.personalization.record_run_dates"]["macro_sql"]
    assert "flags.WHICH in ('build', 'run', 'seed')" in macro


def test_doc_blocks_resolve(manifest: dict) -> None:
    """A column description that names a doc block renders its text, not the call."""
    unresolved = sorted(
        f"{node['name']}.{name}"
        for node in interface_models(manifest)
        for name, column in node["columns"].items()
        if "{{" in column.get("description", "")
    )
    assert unresolved == []
