"""The whole nightly DAG with `airflow dags test` on a tiny generated sample.

Real loader, real dbt, real MLflow store, real Airflow (SQLite) in a temporary
PZ_HOME: what `make run` does, asserted on the published files and manifest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from tests.nights import generate_sample, isolated_env, run_night
from tools.airflow_local import NightDidNothing, run_dag
from warehouse.audiences import load_audiences
from warehouse.db import read_pipeline_vars
from warehouse.export import audit_exports, publish_exports, stage_exports
from warehouse.export.layout import export_files, merges_files
from warehouse.settings import load_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Before the DAG's start date (2026-01-01): the run date, not Airflow's dates, decides.
RUN_DATE = "2019-06-30"
CUSTOMERS = 400
DAYS = 120


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after one DAG run for RUN_DATE over a generated sample."""
    home = tmp_path_factory.mktemp("pz_home")
    generate_sample(
        home / "landing", customers=CUSTOMERS, days=DAYS, end_date=RUN_DATE, seed=3,
        env=isolated_env(home),
    )  # fmt: skip
    run_night(home, RUN_DATE)
    return home


def test_dag_run_publishes_every_audience(nightly: Path) -> None:
    """Regression guard: a run date before the DAG's start date ran no task and exited 0."""
    folder = nightly / "exports" / RUN_DATE
    audiences = load_audiences(nightly / "dbt" / "target" / "manifest.json")
    expected = {f.name for a in audiences for f in export_files(a)}
    assert {f"{a.name}.{fmt}" for a in audiences for fmt in ("parquet", "csv")} <= expected
    ledger = set(merges_files())
    assert {p.name for p in folder.iterdir()} == expected | ledger | {
        "manifest.json",
        "report.html",
    }
    assert not list((nightly / "exports").glob(".tmp-*"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["run_date"] == RUN_DATE
    assert manifest["generated_at"]
    # Every ml table with a model_version column is listed, each with one version.
    for table in ("churn_scores", "customer_segments", "recommendations", "customer_value"):
        assert len(manifest["model_versions"][table]) == 1, table
    files = {f["file"]: f for f in manifest["files"]}
    assert set(files) == expected
    for name, entry in files.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"]
    with duckdb.connect(str(nightly / "warehouse.duckdb"), read_only=True) as con:
        for audience in audiences:
            treated = con.execute(
                f"select count(*) from audiences.aud_{audience.name} where not is_control"
            ).fetchone()[0]
            assert files[f"{audience.name}.parquet"]["rows"] == treated
        scored = con.execute(
            "select count(*) from ml.churn_scores where run_date = ?", [RUN_DATE]
        ).fetchone()[0]
        assert scored > 0
        assert (
            con.execute(
                "select count(*) from audiences.membership where run_date = ?", [RUN_DATE]
            ).fetchone()[0]
            > 0
        )


def test_high_value_at_risk_holds_valuable_customers_at_risk_who_can_be_emailed(
    nightly: Path,
) -> None:
    """Every member is in the top fifth of tonight's expected order value, in the high
    or medium churn band, consented to email and not suppressed; and someone qualifies."""
    with duckdb.connect(str(nightly / "warehouse.duckdb"), read_only=True) as con:
        members = con.execute(
            """
            with ranked as (
                select person_id,
                    percent_rank() over (order by expected_order_value, person_id) as pct
                from ml.customer_value where run_date = ?
            )
            select a.person_id, r.pct, s.risk_band, d.has_email_consent,
                e.person_id is not null as suppressed
            from audiences.aud_high_value_at_risk as a
            left join ranked as r using (person_id)
            left join ml.churn_scores as s on s.person_id = a.person_id and s.run_date = ?
            left join marts.dim_customers as d on d.person_id = a.person_id
            left join marts.email_suppressions as e on e.person_id = a.person_id
            """,
            [RUN_DATE, RUN_DATE],
        ).fetchall()
    assert members
    for person, pct, band, consent, suppressed in members:
        assert pct >= 0.8 and band in {"high", "medium"}, person
        assert consent and not suppressed, person


def test_the_command_line_is_quiet_one_line_per_step_then_the_summary(nightly: Path) -> None:
    """Regression: `make run` printed about 1,470 lines of Airflow and dbt logs."""
    out = (nightly / "dag_run.log").read_text()
    log = nightly / "logs" / f"run-{RUN_DATE}.log"
    assert f"full Airflow and dbt log: {log}" in out
    assert len(out.splitlines()) < 60, out[:3000]
    steps = [line.split() for line in out.splitlines() if line.startswith("  ") and " s  " in line]
    assert [step[0] for step in steps][-1] == "apply_erasures"
    assert all(step[-1] == "success" for step in steps)
    assert "dbt" in log.read_text() and "airflow dags test" in log.read_text()


def test_rerun_of_the_export_is_byte_identical(nightly: Path) -> None:
    """Staging, auditing and publishing the same date again gives the same bytes."""
    folder = nightly / "exports" / RUN_DATE
    before = json.loads((folder / "manifest.json").read_text())["files"]
    warehouse = nightly / "warehouse.duckdb"
    audiences = load_audiences(nightly / "dbt" / "target" / "manifest.json")
    staged = stage_exports(
        warehouse, nightly / "exports", RUN_DATE, generated_at="again", audiences=audiences
    )
    cap = read_pipeline_vars(warehouse)["email_frequency_cap"]
    audit_exports(warehouse, staged, email_frequency_cap=cap, audiences=audiences)
    publish_exports(staged, nightly / "exports")
    after = json.loads((folder / "manifest.json").read_text())["files"]
    assert [(f["file"], f["sha256"]) for f in after] == [(f["file"], f["sha256"]) for f in before]


def test_a_run_that_publishes_nothing_fails_saying_why(tmp_path: Path) -> None:
    """Regression guard: a DAG run that published nothing for its date exited 0."""
    settings = load_settings({"PZ_HOME": str(tmp_path)})
    with pytest.raises(NightDidNothing, match=f"run for {RUN_DATE} published nothing"):
        run_dag(RUN_DATE, settings, mark_success_pattern=".*")
    assert not (settings.export_dir / RUN_DATE).exists()
