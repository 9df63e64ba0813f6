"""The steps of the nightly run as plain functions, one per Airflow task.

``dags/personalization_nightly.py`` is a shell around these: each task calls one
function here with plain arguments (the run date it resolved once, the settings),
so every step runs and is tested without Airflow. Nothing here reads the clock or
Airflow's context.

Two kinds of failure: :class:`DataError` (a rejected extract file, a failed dbt data
test or model, a failed export audit) means the data is wrong and retrying cannot
help, so the DAG fails the task at once; anything else (a locked file, a full disk)
may be transient and is retried with back-off.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from warehouse.settings import DBT_PROJECT_DIR, Settings, load_settings

log = logging.getLogger(__name__)

#: dbt selection of each phase. Staging to marts (with every test on them, and the
#: seeds) before the ML step; the audience models after it.
DBT_PHASES: dict[str, list[str]] = {
    "marts": ["--exclude", "path:models/audiences"],
    "audiences": ["--select", "path:models/audiences"],
}
ML_MODELS = ("segments", "churn", "recommendations")


class DataError(RuntimeError):
    """The data failed a check; re-running the same step on the same data fails again."""


def resolve_run_date(requested: str | None, run_after: dt.datetime) -> str:
    """The run date: the requested one, or the day before the run's ``run_after``.

    Args:
        requested: ``YYYY-MM-DD`` from the DAG's ``run_date`` param; empty for the
            scheduled default.
        run_after: When the run was due (Airflow's ``dag_run.run_after``).

    Returns:
        The run date as ``YYYY-MM-DD``: the last complete day the run covers.
    """
    if requested and requested.strip():
        return dt.date.fromisoformat(requested.strip()).isoformat()
    if run_after.tzinfo is not None:
        run_after = run_after.astimezone(dt.UTC)
    return (run_after.date() - dt.timedelta(days=1)).isoformat()


def load_extracts(settings: Settings | None = None) -> dict[str, int]:
    """Load every new or changed extract into ``raw``; fail if any file failed.

    Returns:
        Counts of files loaded, skipped (unchanged) and ignored, and rows loaded.

    Raises:
        DataError: A file could not be loaded (the others are loaded and recorded).
    """
    from warehouse.load import load_landing

    settings = settings or load_settings()
    summary = load_landing(settings.landing_dir, settings.duckdb_path)
    counts = {
        "files_loaded": len(summary.loaded),
        "files_unchanged": len(summary.skipped),
        "files_ignored": len(summary.ignored),
        "rows_loaded": sum(r.rows_loaded for r in summary.loaded),
        "rows_rejected": sum(r.rows_rejected for r in summary.loaded),
    }
    log.info("load: %s", counts)
    if summary.failed:
        lines = "\n".join(f"  {r.file}: {r.error}" for r in summary.failed)
        raise DataError(f"{len(summary.failed)} extract files failed to load:\n{lines}")
    return counts


def dbt_command(phase: str, run_date: str, settings: Settings) -> list[str]:
    """The ``dbt build`` command line of a phase (``marts`` or ``audiences``)."""
    if phase not in DBT_PHASES:
        raise ValueError(f"unknown dbt phase {phase!r}; expected one of {sorted(DBT_PHASES)}")
    dbt = Path(sys.executable).with_name("dbt")
    state = settings.home / "dbt"
    return [
        str(dbt) if dbt.exists() else "dbt",
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(state / "target"),
        "--log-path", str(state / "logs"),
        "--vars", json.dumps({"run_date": run_date}),
        "--no-use-colors",
        *DBT_PHASES[phase],
    ]  # fmt: skip


def _failed_nodes(run_results: Path) -> list[str]:
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []
    return [
        f"{r['unique_id']} ({r['status']}): {(r.get('message') or '').strip()[:200]}"
        for r in results
        if r.get("status") in ("error", "fail", "runtime error")
    ]


def run_dbt(phase: str, run_date: str, settings: Settings | None = None) -> dict[str, Any]:
    """Run ``dbt build`` for one phase as a child process, logging its output.

    dbt runs in its own process so its global state (logging, adapters, the open
    DuckDB connection) never leaks into the worker that runs the next task.

    Args:
        phase: ``marts`` (seeds, staging, intermediate and marts with their tests) or
            ``audiences`` (the audience models and membership with their tests).
        run_date: Passed as ``--vars '{"run_date": ...}'``.
        settings: Where the warehouse is (default: from the environment).

    Returns:
        The phase, run date and number of nodes dbt ran.

    Raises:
        DataError: A model, seed or data test failed; the failed nodes are listed.
    """
    settings = settings or load_settings()
    command = dbt_command(phase, run_date, settings)
    env = {
        **os.environ,
        "PZ_HOME": str(settings.home),
        "PZ_DUCKDB_PATH": str(settings.duckdb_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
    }
    log.info("running %s", " ".join(command))
    with subprocess.Popen(
        command,
        cwd=DBT_PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.info("dbt: %s", line.rstrip())
    run_results = settings.home / "dbt" / "target" / "run_results.json"
    if process.returncode != 0:
        failed = _failed_nodes(run_results)
        detail = "\n".join(f"  {f}" for f in failed) or "  (see the dbt output above)"
        raise DataError(
            f"dbt build ({phase}, run_date {run_date}) exited with {process.returncode}:\n" + detail
        )
    nodes = len(json.loads(run_results.read_text())["results"]) if run_results.exists() else 0
    return {"phase": phase, "run_date": run_date, "nodes": nodes}


def init_mlflow(settings: Settings | None = None) -> str:
    """Create the MLflow store and its experiments if they do not exist yet.

    Done once, in its own task, before the three models train: several processes
    creating the same SQLite store at once would race.

    Returns:
        The tracking URI.
    """
    from ml.tracking import init_store

    settings = settings or load_settings()
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    init_store(settings.mlflow_tracking_uri)
    return settings.mlflow_tracking_uri


#: The ml package of each model (first one that exists).
_ML_PACKAGES = {
    "segments": ("ml.segments",),
    "churn": ("ml.churn",),
    "recommendations": ("ml.recommendations", "ml.recs"),
}


def _ml_package(model: str) -> Any:
    for name in _ML_PACKAGES[model]:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    raise ModuleNotFoundError(f"no ml package for {model}: tried {_ML_PACKAGES[model]}")


def score(model: str, run_date: str, settings: Settings | None = None) -> dict[str, Any]:
    """Train, evaluate, register and score one ML model as of the run date.

    Args:
        model: ``segments``, ``churn`` or ``recommendations``; the package's
            ``train_and_score(run_date, settings=...)`` does the work.
        run_date: The run date, ``YYYY-MM-DD``.
        settings: Where the warehouse and MLflow store are.

    Returns:
        The metrics ``train_and_score`` returned, made JSON-safe for XCom.
    """
    if model not in ML_MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {ML_MODELS}")
    settings = settings or load_settings()
    package = _ml_package(model)
    result = package.train_and_score(dt.date.fromisoformat(run_date), settings=settings)
    log.info("%s: %s", model, result)
    return json.loads(json.dumps(result, default=str))


def _email_frequency_cap() -> int:
    """The cap dbt applied: ``vars.email_frequency_cap`` of dbt_project.yml (default 2)."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text()) or {}
    return int((project.get("vars") or {}).get("email_frequency_cap", 2))


def stage_and_audit(
    run_date: str, generated_at: str | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """Write the run date's audience files to a hidden folder and audit them.

    Returns:
        ``staging_dir`` (for :func:`publish`) and the treated rows per audience.

    Raises:
        DataError: The audit failed; nothing is published, the staged folder is kept.
    """
    from warehouse.export import AuditError, audit_exports, stage_exports

    settings = settings or load_settings()
    staging = stage_exports(
        settings.duckdb_path, settings.export_dir, run_date, generated_at=generated_at
    )
    try:
        report = audit_exports(
            settings.duckdb_path, staging, email_frequency_cap=_email_frequency_cap()
        )
    except AuditError as exc:
        raise DataError(str(exc)) from exc
    return {"staging_dir": str(staging), **report}


def publish(staging_dir: str, settings: Settings | None = None) -> str:
    """Move audited files into ``<export_dir>/<run_date>``, manifest last.

    Returns:
        The published folder.
    """
    from warehouse.export import publish_exports

    settings = settings or load_settings()
    return str(publish_exports(staging_dir, settings.export_dir))
