"""An interrupted benchmark run picks up where it stopped (--until, then --resume)."""

from __future__ import annotations

import datetime as dt
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
    assert bench_dir == list(STAGES) * 2
    result = json.loads((tmp_path / "results" / "S.json").read_text())
    assert [s["name"] for s in result["stages"]] == list(STAGES)
    assert result["total"] == {"wall_s": 1.5 * len(STAGES), "peak_rss_mb": 100.0 + len(STAGES)}
    nightly = result["nightly"]
    assert [s["name"] for s in nightly["stages"]] == list(STAGES)
    assert nightly["total"] == {
        "wall_s": 1.5 * len(STAGES),
        "peak_rss_mb": 100.0 + 2 * len(STAGES),
    }
    assert (result["run_date"], nightly["run_date"]) == ("2026-11-20", "2026-11-21")
    assert (
        "| nightly stage (2026-11-21) | wall (s) | peak RSS (MB) |"
        in (tmp_path / "results" / "S.md").read_text()
    )


def test_each_scenario_sees_the_deliveries_of_its_night(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for folder in ("web/2026-11-20", "web/2026-11-21", "shop/2026-11-21", "_truth/2026-11-21"):
        (landing / folder).mkdir(parents=True)
        (landing / folder / "file.csv").write_text(folder)
    target = tmp_path / "delivered"
    assert run.deliver_until(landing, target, dt.date(2026, 11, 20)) == 1
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*.csv")) == [
        "web/2026-11-20/file.csv"
    ]
    assert run.deliver_until(landing, target, dt.date(2026, 11, 21)) == 2
    assert (target / "shop/2026-11-21/file.csv").read_text() == "shop/2026-11-21"
    assert not (target / "_truth").exists()


def test_the_nightly_says_which_models_trained(tmp_path: Path) -> None:
    steps = tmp_path / "bench" / "steps"
    steps.mkdir(parents=True)
    (steps / "churn.json").write_text(json.dumps({"trained": False, "rows_written": 3}))
    (steps / "segments.json").write_text(json.dumps({"trained": True}))
    assert run.models_trained(tmp_path) == {"segments": True, "churn": False}


def test_without_resume_a_run_starts_over(bench_dir: list[str]) -> None:
    first = STAGES[0]
    run.main(["--scale", "S", "--until", first])
    run.main(["--scale", "S", "--until", first])
    assert bench_dir == [first, first]
