"""Integrity of the nightly DAG: it parses, has the agreed shape and imports fast."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.pipeline import DataError, dbt_command, resolve_run_date
from warehouse.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
DAG_ID = "personalization_nightly"
POOL = "duckdb_writer"
#: Every task that opens the DuckDB file.
DUCKDB_TASKS = {
    "load_extracts",
    "dbt_build_marts",
    "segments",
    "churn",
    "recommendations",
    "dbt_build_audiences",
    "audit_exports",
}
UPSTREAM = {
    "resolve_run": set(),
    "load_extracts": {"resolve_run"},
    "dbt_build_marts": {"resolve_run", "load_extracts"},
    "init_mlflow": {"dbt_build_marts"},
    "segments": {"resolve_run", "init_mlflow"},
    "churn": {"resolve_run", "init_mlflow"},
    "recommendations": {"resolve_run", "init_mlflow"},
    "dbt_build_audiences": {"resolve_run", "segments", "churn", "recommendations"},
    "audit_exports": {"resolve_run", "dbt_build_audiences"},
    "publish_exports": {"audit_exports"},
}


@functools.cache
def dagbag():
    """The DAG folder parsed once, as the DAG processor parses it.

    ``known_pools`` makes a task in any other pool an import error. The DAGs folder
    goes on sys.path as Airflow's DAG processor puts it there.
    """
    from airflow.dag_processing.dagbag import DagBag

    if str(DAGS) not in sys.path:
        sys.path.append(str(DAGS))
    return DagBag(dag_folder=str(DAGS), known_pools={"default_pool", POOL})


def nightly():
    return dagbag().dags[DAG_ID]


def test_no_import_errors() -> None:
    assert dagbag().import_errors == {}


def test_one_dag_per_file_named_after_it() -> None:
    for dag_id, dag in dagbag().dags.items():
        assert Path(dag.fileloc).stem == dag_id
    assert nightly() is not None


def test_no_cycles() -> None:
    from airflow.utils.dag_cycle_tester import check_cycle

    check_cycle(nightly())


def test_tasks_and_dependencies() -> None:
    dag = nightly()
    assert {t.task_id: set(t.upstream_task_ids) for t in dag.tasks} == UPSTREAM


def test_run_settings() -> None:
    dag = nightly()
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.params["run_date"] == ""
    assert "### Run date" in dag.doc_md
    assert dag.schedule == os.environ.get("PZ_SCHEDULE", "0 3 * * *")


def test_every_task_retries_with_backoff() -> None:
    for t in nightly().tasks:
        assert t.retries >= 1, t.task_id
        assert t.retry_exponential_backoff > 0, t.task_id
        assert t.max_retry_delay is not None, t.task_id


def test_duckdb_tasks_share_the_one_slot_pool() -> None:
    pools = {t.task_id: t.pool for t in nightly().tasks}
    assert {task for task, pool in pools.items() if pool == POOL} == DUCKDB_TASKS


def test_importing_the_dag_file_is_fast() -> None:
    """Regression guard: heavy imports (duckdb, dbt, ml) stay inside the tasks.

    Measured in a fresh interpreter with airflow.sdk already imported, as the DAG
    processor has it; the file itself must add well under a second.
    """
    dag_file = DAGS / f"{DAG_ID}.py"
    code = (
        "import sys, time, importlib.util\n"
        "import airflow.sdk\n"
        f"sys.path.insert(0, {str(DAGS)!r})\n"
        "start = time.perf_counter()\n"
        f"spec = importlib.util.spec_from_file_location('nightly', {str(dag_file)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "heavy = ('duckdb', 'dbt', 'mlflow', 'pandas', 'sklearn')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "print(time.perf_counter() - start, ','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    seconds, heavy = float(out[0]), out[1:] or [""]
    assert heavy == [""], f"the DAG file imports {heavy[0]} at parse time"
    assert seconds < 1.0, f"importing the DAG file took {seconds:.2f} s"


# --- the plain functions the tasks call ----------------------------------------------------


def test_run_date_defaults_to_the_day_before_run_after() -> None:
    run_after = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)
    assert resolve_run_date("", run_after) == "2026-03-31"
    assert resolve_run_date(None, run_after) == "2026-03-31"
    late = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert resolve_run_date("", late) == "2026-03-30"  # 20:00 UTC on 31 March


def test_run_date_param_wins_and_is_validated() -> None:
    run_after = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)
    assert resolve_run_date(" 2026-02-28 ", run_after) == "2026-02-28"
    with pytest.raises(ValueError):
        resolve_run_date("2026-02-30", run_after)


def test_dbt_phases(tmp_path: Path) -> None:
    settings = load_settings({"PZ_HOME": str(tmp_path)})
    marts = dbt_command("marts", "2026-03-31", settings)
    audiences = dbt_command("audiences", "2026-03-31", settings)
    assert marts[1] == "build" and marts[-2:] == ["--exclude", "path:models/audiences"]
    assert audiences[-2:] == ["--select", "path:models/audiences"]
    assert json.loads(marts[marts.index("--vars") + 1]) == {"run_date": "2026-03-31"}
    assert marts[marts.index("--target-path") + 1] == str(tmp_path / "dbt" / "target")
    with pytest.raises(ValueError):
        dbt_command("everything", "2026-03-31", settings)


def test_fail_fast_turns_data_errors_into_no_retry_failures() -> None:
    dagbag()  # puts the DAGs folder on sys.path
    from _common import fail_fast
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="audit"), fail_fast():
        raise DataError("audit failed")
    with pytest.raises(OSError), fail_fast():
        raise OSError("disk full")
