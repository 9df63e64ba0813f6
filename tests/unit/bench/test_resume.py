"""An interrupted benchmark run picks up where it stopped (--until, then --resume)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import run
from bench.measure import Measurement
from bench.stage import STAGES


@pytest.fixture
def bench_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A cached S sample and stages that only record that they ran."""
    monkeypatch.setattr(run, "BENCH_DIR", tmp_path)
    cache = tmp_path / "cache" / "S-seed42"
    (cache / "landing").mkdir(parents=True)
    (cache / "summary.json").write_text(json.dumps({"events": 10, "input_bytes": 100}))
    ran: list[str] = []

    def fake_stage(name: str, command: list[str], **_: object) -> Measurement:
        ran.append(command[3])
        return Measurement(name, 1.5, 100.0 + len(ran), 0)

    monkeypatch.setattr(run, "run_measured", fake_stage)
    monkeypatch.setattr(run, "overheads", lambda env, log: [])
    return ran


def test_until_then_resume_runs_each_stage_once(bench_dir: list[str], tmp_path: Path) -> None:
    assert run.main(["--scale", "S", "--until", "segments"]) == 0
    assert bench_dir == list(STAGES[: STAGES.index("segments") + 1])
    assert not (tmp_path / "results" / "S.json").exists()
    assert run.main(["--scale", "S", "--resume"]) == 0
    assert bench_dir == list(STAGES)
    result = json.loads((tmp_path / "results" / "S.json").read_text())
    assert [s["name"] for s in result["stages"]] == list(STAGES)
    assert result["total"] == {"wall_s": 1.5 * len(STAGES), "peak_rss_mb": 100.0 + len(STAGES)}


def test_without_resume_a_run_starts_over(bench_dir: list[str]) -> None:
    first = STAGES[0]
    run.main(["--scale", "S", "--until", first])
    run.main(["--scale", "S", "--until", first])
    assert bench_dir == [first, first]
