"""A benchmark stage is a step of the night, run by name, its results kept for later steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.stage import STAGES, run_stage
from pipeline.night import STEPS


def test_the_stages_are_the_steps_of_the_night() -> None:
    assert list(STAGES) == [step.name for step in STEPS]


def test_a_stage_keeps_its_result_and_a_later_one_needs_it(tmp_path: Path) -> None:
    run = run_stage("resolve_run", "2026-03-31", tmp_path)
    assert run == {
        "run_date": "2026-03-31",
        "generated_at": "2026-04-01T00:00:00+00:00",
        "accept_volume_change": False,
        "allow_future": False,
        "retrain": False,
    }
    assert json.loads((tmp_path / "resolve_run.json").read_text()) == run
    with pytest.raises(FileNotFoundError, match="audit_exports.json"):
        run_stage("publish_exports", "2026-03-31", tmp_path)
    with pytest.raises(ValueError, match="'2026-3-31'"):
        run_stage("resolve_run", "2026-3-31", tmp_path)
