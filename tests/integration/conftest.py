"""Shared fixtures: a small generated sample, loaded and built with real dbt."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.dbt import DBT_PHASES
from warehouse.load import load_landing
from warehouse.settings import DBT_PROJECT_DIR, REPO_ROOT
from warehouse.synthetic import generate

END = dt.date(2026, 6, 30)
DBT = str(Path(sys.executable).with_name("dbt"))


def dbt(args: list[str], duckdb_path: Path, run_date: dt.date) -> subprocess.CompletedProcess:
    """Run a real dbt command against ``duckdb_path``; raise with its output on failure."""
    env = {**os.environ, "PZ_DUCKDB_PATH": str(duckdb_path)}
    proc = subprocess.run(
        [DBT, *args, "--vars", f"{{run_date: '{run_date}'}}", "--profiles-dir", "."],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}")
    return proc


def copy_until(landing: Path, target: Path, last: dt.date) -> None:
    """Copy the extract folders dated on or before ``last`` (the state of an earlier day)."""
    for folder in landing.glob("*/*"):
        if folder.parent.name.startswith("_"):
            continue
        if dt.date.fromisoformat(folder.name) <= last:
            shutil.copytree(folder, target / folder.relative_to(landing))


@pytest.fixture(scope="session")
def sample_landing(tmp_path_factory) -> Path:
    """2,000 people over 150 days of deliveries."""
    out = tmp_path_factory.mktemp("sample") / "landing"
    generate(customers=2000, days=150, end_date=END, seed=11, out=out)
    return out


@pytest.fixture(scope="session")
def built_warehouse(sample_landing: Path) -> Path:
    """The sample loaded and built to the marts (dbt build of the night's marts phase,
    with every test)."""
    db = sample_landing.parent / "warehouse.duckdb"
    summary = load_landing(sample_landing, db)
    assert not summary.failed, summary.failed
    dbt(["build", *DBT_PHASES["marts"]], db, END)
    return db


assert REPO_ROOT.exists()
