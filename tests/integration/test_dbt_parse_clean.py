"""Regression: every dbt command warned MissingArgumentsPropertyInGenericTestDeprecation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from warehouse.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).with_name("dbt"))


def test_dbt_parses_the_project_without_a_deprecation(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            DBT, "parse", "--show-all-deprecations",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        ],
        env={**os.environ, "PZ_DUCKDB_PATH": str(tmp_path / "w.duckdb")},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Deprecat" not in proc.stdout, proc.stdout[-3000:]
