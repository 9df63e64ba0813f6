"""Whole nights for the integration tests: a sample, then ``make run`` in its own PZ_HOME.

Each test that runs the real DAG does it the same way: an environment that keeps
nothing of the caller's PZ_, Airflow or MLflow settings, the sample generator as a
command, and ``python -m tools.airflow_local run`` (what ``make run`` does), its output
kept in ``<home>/dag_run.log``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def isolated_env(home: Path) -> dict[str, str]:
    """The environment of a run in ``home``, nothing of the caller's PZ_/Airflow set-up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PZ_", "AIRFLOW", "MLFLOW"))}
    env["PZ_HOME"] = str(home)
    return env


def generate_sample(
    out: Path, *, customers: int, days: int, end_date: str, seed: int, env: dict[str, str]
) -> None:
    """``python -m warehouse.synthetic`` into ``out``; its output is captured."""
    subprocess.run(
        [
            sys.executable, "-m", "warehouse.synthetic",
            "--customers", str(customers), "--days", str(days),
            "--end-date", end_date, "--seed", str(seed), "--out", str(out),
        ],
        env=env, check=True, cwd=REPO, capture_output=True,
    )  # fmt: skip


def run_night(
    home: Path, run_date: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """One night for ``run_date`` over ``home``'s landing folder (``extra_env`` added to
    its isolated environment); fails the test if it failed."""
    run = subprocess.run(
        [sys.executable, "-m", "tools.airflow_local", "run", "--run-date", run_date],
        env={**isolated_env(home), **(extra_env or {})}, cwd=REPO, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    (home / "dag_run.log").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    return run
