"""Every ``python -m`` entry point answers ``--help`` with its usage and nothing before it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENTRY_POINTS = [
    "warehouse.load",
    "warehouse.synthetic",
    "tools.airflow_local",
    "bench.run",
    "ml.segments",
    "ml.churn",
    "ml.recommendations",
    "ml.value",
]


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_help_prints_usage_first_and_exits_0(module: str) -> None:
    """Regression: the ml entry points printed an MLflow warning before their usage."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {module}"), done.stdout[:200]
    assert done.stderr == ""
