"""make run: any valid run date, and a night that did nothing is a failure that says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.airflow_local import did_nothing, main
from warehouse.settings import load_settings

REPO = Path(__file__).resolve().parents[3]


def test_a_night_that_ran_and_published_did_something() -> None:
    assert did_nothing("2019-06-30", ["success", "success"], None, 1) is None
    assert did_nothing("2019-06-30", ["success"], 1, 2) is None


def test_no_task_ran() -> None:
    assert did_nothing("2019-06-30", [], None, None) == (
        "the DAG run for 2019-06-30 ran no task (no task instance at all)"
    )
    reason = did_nothing("2019-06-30", ["scheduled", "removed"], None, None)
    assert reason == "the DAG run for 2019-06-30 ran no task (removed, scheduled)"


def test_nothing_published_for_the_date() -> None:
    expected = (
        "the DAG run for 2019-06-30 published nothing: no new exports/2019-06-30/manifest.json"
    )
    assert did_nothing("2019-06-30", ["success"], None, None) == expected
    assert did_nothing("2019-06-30", ["success"], 5, 5) == expected


@pytest.mark.parametrize("bad", ["20190630", "2019/06/30", "30-06-2019", "2019-02-30"])
def test_make_run_refuses_a_malformed_date_naming_it(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--run-date", bad])
    assert exited.value.code == 2
    assert repr(bad) in capsys.readouterr().err


def test_a_backfill_covers_every_date_of_its_range_in_order() -> None:
    from tools.airflow_local import backfill_dates

    assert backfill_dates("2024-02-28", "2024-03-01") == ["2024-02-28", "2024-02-29", "2024-03-01"]
    assert backfill_dates("2024-03-01", "2024-03-01") == ["2024-03-01"]
    with pytest.raises(ValueError, match="before --from"):
        backfill_dates("2024-03-02", "2024-03-01")


def test_a_backfill_range_is_validated_like_a_run_date(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["backfill", "--from", "2024-03-01", "--to", "2024/03/05"])
    assert stop.value.code == 2
    assert "2024/03/05" in capsys.readouterr().err


def test_the_ui_and_run_commands_use_the_virtualenv_s_scripts() -> None:
    """Regression: the `airflow standalone` hint failed with FileNotFoundError: 'airflow'."""
    from tools.airflow_local import mlflow_ui_command, venv_executable

    airflow = Path(venv_executable("airflow"))
    assert airflow.parent == Path(sys.executable).parent and airflow.exists()
    command = mlflow_ui_command(load_settings())
    assert Path(command[0]).exists() and command[command.index("--host") + 1] == "127.0.0.1"


def test_the_failed_step_s_reason_is_read_from_the_log(tmp_path: Path) -> None:
    from tools.airflow_local import failure_reason

    log = tmp_path / "run.log"
    log.write_text(
        "noise\n[error] Task failed: AirflowFailException: no extracts have been loaded: put "
        "them in /land\nmore noise\n"
    )
    assert failure_reason(log) == "no extracts have been loaded: put them in /land"
    log.write_text(
        "[error] Task failed: DataError: dbt build (audiences, run_date 2026-04-20) exited "
        "with 1:\n  test.a (fail): Got 1 result\n  test.b (fail): Got 2 results\n"
        'Traceback (most recent call last):\n  File "x.py", line 1\n'
    )
    assert failure_reason(log) == (
        "dbt build (audiences, run_date 2026-04-20) exited with 1:\n"
        "  test.a (fail): Got 1 result\n  test.b (fail): Got 2 results"
    )
    log.write_text("nothing failed here\n")
    assert failure_reason(log) is None


def test_make_run_without_a_landing_folder_fails_saying_so(tmp_path: Path) -> None:
    """Regression: with a warehouse and no landing folder the run exited 0 and republished."""
    env = {**os.environ, "PZ_HOME": str(tmp_path), "PZ_LANDING_DIR": str(tmp_path / "nope")}
    done = subprocess.run(
        [sys.executable, "-m", "tools.airflow_local", "run", "--run-date", "2026-03-31"],
        env=env, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"no landing folder {tmp_path / 'nope'}" in done.stderr
    assert not (tmp_path / "airflow").exists()


def test_the_summary_warns_of_a_list_under_the_platform_minimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: nothing said that a 57-person ads list is under Meta's minimum."""
    import json

    from tools.airflow_local import summary

    monkeypatch.setenv("PZ_HOME", str(tmp_path))
    folder = tmp_path / "exports" / "2026-03-31"
    folder.mkdir(parents=True)
    warning = "57 rows, below Meta custom audience (customer list)'s minimum of 100: advice"
    files = [
        {"file": "vip.parquet", "audience": "vip", "channel": "ads", "format": "parquet",
         "rows": 57},
        {"file": "vip.meta_custom_audience.csv", "audience": "vip", "channel": "ads",
         "format": "csv", "rows": 57, "warning": warning},
    ]  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps({"files": files}))
    text = summary(load_settings(), "2026-03-31")
    assert f"WARNING: vip.meta_custom_audience.csv: {warning}" in text.splitlines()
    assert text.count("WARNING") == 1


def test_the_summary_warns_of_drift_and_names_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tools.airflow_local import summary

    monkeypatch.setenv("PZ_HOME", str(tmp_path))
    folder = tmp_path / "exports" / "2026-03-31"
    folder.mkdir(parents=True)
    drift = [
        {"model": "churn", "model_version": "4", "kind": "feature", "name": "sessions_90d",
         "psi": 2.3456, "threshold": 0.2, "status": "drift"},
        {"model": "churn", "model_version": "4", "kind": "feature", "name": "tenure_days",
         "psi": 0.7, "threshold": 0.2, "status": "drift"},
        {"model": "segments", "model_version": "1", "kind": "score", "name": "*",
         "psi": None, "threshold": 0.2, "status": "no_reference"},
    ]  # fmt: skip
    manifest = {"files": [], "drift": drift, "report": {"file": "report.html"}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    lines = summary(load_settings(), "2026-03-31").splitlines()
    assert (
        "WARNING: drift: churn: 2 of its features and scores at or above PSI 0.2 against the "
        "training data of version 4, the largest feature sessions_90d 2.346 (report.html)"
    ) in lines
    assert (
        "WARNING: drift: segments version 1 has no reference distribution; drift not measured"
    ) in lines
    assert sum(line.startswith("WARNING: drift") for line in lines) == 2
    assert f"Report: {folder}/report.html (opens offline)" in lines
