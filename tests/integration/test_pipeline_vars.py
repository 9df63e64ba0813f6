"""marts.pipeline_vars, as real dbt builds it, carries every var of the project."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import END
from warehouse.db import read_pipeline_vars
from warehouse.settings import DBT_PROJECT_DIR

pytestmark = [pytest.mark.integration]


def test_every_project_var_is_a_column_with_the_value_dbt_applied(built_warehouse: Path) -> None:
    """Regression guard: a var added to dbt_project.yml must reach the pipeline's readers."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    declared = dict(project["vars"])
    row = read_pipeline_vars(built_warehouse)
    assert row.pop("run_date") == END
    declared.pop("run_date")
    for name, value in list(declared.items()):
        if isinstance(value, dict):
            declared.update(
                {f"{name}__{key}": weight for key, weight in declared.pop(name).items()}
            )
    assert set(row) == set(declared)
    for name, value in declared.items():
        assert row[name] == pytest.approx(value), name
