"""Every ``python -m`` entry point answers ``--help`` with its usage and nothing before it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("warehouse", "pipeline", "ml", "tools", "bench", "dags", "tests")
ENTRY_POINTS = [
    "warehouse.load",
    "warehouse.export",
    "warehouse.synthetic",
    "tools.airflow_local",
    "bench.run",
    "bench.stage",
    "bench.clv_libraries",
    "ml.segments",
    "ml.churn",
    "ml.recommendations",
    "ml.value",
    "ml.quality",
    "pipeline.lift",
    "tests.realdata.datasets",
]
MAIN_GUARD = re.compile(r"^if __name__ == .__main__.:", re.MULTILINE)


def discovered_entry_points() -> set[str]:
    """Modules run with ``python -m``: packages with a ``__main__.py``, modules with a guard."""
    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            if path.name == "__main__.py":
                found.add(module.removesuffix(".__main__"))
            elif MAIN_GUARD.search(path.read_text()):
                found.add(module)
    return found


def test_every_entry_point_is_listed() -> None:
    """Regression: ``python -m warehouse.export`` had no usage; a new entry point is tested too."""
    assert discovered_entry_points() == set(ENTRY_POINTS)


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_help_prints_usage_first_and_exits_0(module: str) -> None:
    """Regression: the ml entry points printed an MLflow warning before their usage."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {module}"), done.stdout[:200]
    assert done.stderr == ""
