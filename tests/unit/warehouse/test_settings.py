"""Configuration resolves from the environment, independent of the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from warehouse.settings import REPO_ROOT, load_settings


def test_defaults_hang_off_pz_home_in_the_repository() -> None:
    s = load_settings({})
    assert s.home == REPO_ROOT / "data"
    assert s.landing_dir == s.home / "landing"
    assert s.duckdb_path == s.home / "warehouse.duckdb"
    assert s.export_dir == s.home / "exports"
    assert s.airflow_home == s.home / "airflow"
    assert s.mlflow_tracking_uri == f"sqlite:///{s.home / 'mlflow' / 'mlflow.db'}"
    assert s.duckdb_memory_limit == "8GB"


def test_each_variable_overrides_its_default(tmp_path: Path) -> None:
    env = {
        "PZ_HOME": str(tmp_path / "home"),
        "PZ_LANDING_DIR": str(tmp_path / "in"),
        "PZ_EXPORT_DIR": str(tmp_path / "out"),
        "MLFLOW_TRACKING_URI": "http://mlflow.internal:5000",
        "PZ_DUCKDB_MEMORY_LIMIT": "3GB",
    }
    s = load_settings(env)
    assert s.home == tmp_path / "home"
    assert s.landing_dir == tmp_path / "in"
    assert s.duckdb_path == tmp_path / "home" / "warehouse.duckdb"
    assert s.export_dir == tmp_path / "out"
    assert s.mlflow_tracking_uri == "http://mlflow.internal:5000"
    assert s.duckdb_memory_limit == "3GB"


def test_relative_paths_do_not_follow_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings({"PZ_HOME": "state"})
    assert s.home == tmp_path / "state"
    assert s.home.is_absolute()
    monkeypatch.chdir(os.sep)
    assert load_settings({}).home == REPO_ROOT / "data"


def test_drift_settings_default_to_warn_at_psi_0_2() -> None:
    settings = load_settings({})
    assert (settings.drift_psi_warn, settings.drift_fail) == (0.2, False)
    chosen = load_settings({"PZ_DRIFT_PSI_WARN": "0.1", "PZ_DRIFT_FAIL": "1"})
    assert (chosen.drift_psi_warn, chosen.drift_fail) == (0.1, True)
    assert load_settings({"PZ_DRIFT_FAIL": "0"}).drift_fail is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("PZ_DRIFT_PSI_WARN", "0"), ("PZ_DRIFT_PSI_WARN", "high"), ("PZ_DRIFT_FAIL", "sometimes")],
)
def test_malformed_drift_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        load_settings({name: value})
