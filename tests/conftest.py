"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.settings import DBT_PROJECT_DIR, load_settings

DBT = str(Path(sys.executable).with_name("dbt"))


@pytest.fixture(scope="session")
def dbt_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PZ_HOME whose dbt target folder holds the manifest of one real ``dbt parse``.

    The manifest carries what dbt read from the project (the audience declarations
    among it), as a night's dbt build writes it; parsing needs no warehouse.
    """
    home = tmp_path_factory.mktemp("dbt_home")
    settings = load_settings({"PZ_HOME": str(home)})
    proc = subprocess.run(
        [
            DBT, "parse",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(settings.dbt_target_dir),
            "--log-path", str(settings.dbt_log_dir),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "PZ_DUCKDB_PATH": str(settings.duckdb_path)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise AssertionError(f"dbt parse failed:\n{proc.stdout[-6000:]}")
    return home


@pytest.fixture
def dbt_manifest(dbt_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The parsed manifest, in the home this test is configured with (``PZ_HOME``)."""
    monkeypatch.setenv("PZ_HOME", str(dbt_home))
    return load_settings().dbt_target_dir / "manifest.json"
