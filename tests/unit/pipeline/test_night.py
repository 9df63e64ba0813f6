"""The one list of the night's steps, its registry of models and how a step is run."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from ml.registry import MODELS as MODEL_MODULES
from pipeline import night
from pipeline.models import MODELS
from pipeline.night import REQUEST, STEPS, STEPS_BY_NAME, Step, run_step

REPO = Path(__file__).resolve().parents[3]


def test_every_registered_model_is_a_step_after_the_marts_and_before_the_audiences() -> None:
    names = [step.name for step in STEPS]
    for model in MODELS:
        assert (
            names.index("dbt_build_marts") < names.index(model) < names.index("dbt_build_audiences")
        )
        assert model in STEPS_BY_NAME["dbt_build_audiences"].upstream


def test_the_model_names_are_defined_once() -> None:
    from ml.tracking import EXPERIMENTS

    assert tuple(MODELS) == tuple(MODEL_MODULES) == EXPERIMENTS
    assert all(callable(MODELS[name]) for name in MODELS)
    with pytest.raises(KeyError, match="unknown model"):
        MODELS["nope"]


def test_looking_at_the_registry_imports_no_model() -> None:
    """Regression guard: the DAG file imports the step list; no model may load with it."""
    code = (
        "import sys\n"
        "import pipeline.night, pipeline.models as m\n"
        "assert 'segments' in m.MODELS and len(m.MODELS) == 4\n"
        "print(sorted(n for n in sys.modules if n.startswith('ml.') or n in "
        "('duckdb', 'mlflow', 'pandas', 'sklearn', 'dbt')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.strip()
    assert out == "['ml.registry']"


def test_run_step_passes_the_results_a_step_reads() -> None:
    request = {"run_date": "2026-02-01", "run_after": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)}
    run = run_step("resolve_run", {REQUEST: request})
    assert run == {
        "run_date": "2026-02-01",
        "generated_at": "2026-03-01T00:00:00+00:00",
        "accept_volume_change": False,
        "allow_future": False,
        "retrain": False,
    }
    with pytest.raises(KeyError, match="missing the result of audit_exports"):
        run_step("publish_exports", {"resolve_run": run})
    with pytest.raises(KeyError, match="unknown step"):
        run_step("sweep", {})


def noop() -> None:
    """A step function for the list checks."""


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ((Step("a", noop, ""), Step("a", noop, "")), "used twice"),
        ((Step("a", noop, "", upstream=("b",)), Step("b", noop, "")), "not listed before"),
        ((Step("a", noop, ""), Step("b", noop, "", inputs={"x": "a"})), "without depending"),
    ],
)
def test_a_malformed_step_list_is_refused(steps: tuple[Step, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        night._check(steps)
