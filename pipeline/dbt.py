"""The dbt runner: the two phases of a night's ``dbt build`` and their command lines."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipeline.errors import DataError
from warehouse.settings import DBT_PROJECT_DIR, Settings, load_settings

log = logging.getLogger(__name__)

#: What runs after the models have scored: the audiences, the membership history
#: snapshots (of rule, RFM and model segments and of audience membership) and the
#: transitions read from them.
AFTER_MODELS: list[str] = ["path:models/audiences", "path:snapshots", "path:models/marts/history"]

#: dbt selection of each phase. Staging to marts (with every test on them, and the
#: seeds) before the models train; the audience models and the history after them.
DBT_PHASES: dict[str, list[str]] = {
    "marts": ["--exclude", *AFTER_MODELS],
    "audiences": ["--select", *AFTER_MODELS],
}


def dbt_executable() -> str:
    """The ``dbt`` beside this interpreter, else the one on ``PATH``."""
    dbt = Path(sys.executable).with_name("dbt")
    return str(dbt) if dbt.exists() else "dbt"


def dbt_command(phase: str, run_date: str, settings: Settings) -> list[str]:
    """The ``dbt build`` command line of a phase (``marts`` or ``audiences``).

    Artifacts (``manifest.json``, ``run_results.json``) go to
    ``settings.dbt_target_dir``, where the export reads the audience declarations.
    """
    if phase not in DBT_PHASES:
        raise ValueError(f"unknown dbt phase {phase!r}; expected one of {sorted(DBT_PHASES)}")
    return [
        dbt_executable(),
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(settings.dbt_target_dir),
        "--log-path", str(settings.dbt_log_dir),
        "--vars", json.dumps({"run_date": run_date}),
        "--no-use-colors",
        *DBT_PHASES[phase],
    ]  # fmt: skip


def freshness_command(settings: Settings) -> list[str]:
    """The ``dbt source freshness`` command line; results in ``<target>/sources.json``."""
    return [
        dbt_executable(),
        "source", "freshness",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(settings.dbt_target_dir),
        "--log-path", str(settings.dbt_log_dir),
        "--output", str(settings.dbt_target_dir / "sources.json"),
        "--no-use-colors",
    ]  # fmt: skip


def freshness_findings(sources_json: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(warnings, errors) of a ``sources.json``: one line per source past a threshold.

    A source dbt could not check (``runtime error``, e.g. an optional source never
    delivered) is a warning: the volume guards and the tests judge empty tables.
    """
    warnings, errors = [], []
    for result in sources_json.get("results", []):
        name = result.get("unique_id", "?").removeprefix("source.personalization.")
        status = result.get("status")
        age = result.get("max_loaded_at_time_ago_in_s")
        hours = f"last load {age / 3600:.0f} h ago" if isinstance(age, int | float) else "no load"
        if status == "error":
            errors.append(f"{name}: {hours}, past its error threshold")
        elif status == "warn":
            warnings.append(f"{name}: {hours}, past its warn threshold")
        elif status == "runtime error":
            warnings.append(f"{name}: freshness not checked ({(result.get('error') or '')[:120]})")
    return warnings, errors


def check_freshness(settings: Settings | None = None, *, strict: bool = True) -> list[str]:
    """Run ``dbt source freshness`` over the load ledger's ``_loaded_at``.

    Args:
        settings: Where the warehouse is.
        strict: A source past its error threshold fails; when false (a backfill of a
            date before the last delivery, which stale sources cannot change) it is
            reported with the warnings.

    Returns:
        One line per source past a threshold (logged as warnings).

    Raises:
        DataError: ``strict`` and a source is past its error threshold: its extracts
            stopped arriving.
    """
    settings = settings or load_settings()
    done = subprocess.run(
        freshness_command(settings),
        cwd=DBT_PROJECT_DIR,
        env=_dbt_env(settings),
        capture_output=True,
        text=True,
    )
    for line in done.stdout.splitlines():
        log.info("dbt: %s", line.rstrip())
    try:
        sources = json.loads((settings.dbt_target_dir / "sources.json").read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeError(
            f"dbt source freshness wrote no results (exit {done.returncode})"
        ) from exc
    warnings, errors = freshness_findings(sources)
    if not strict:
        warnings, errors = warnings + errors, []
    for warning in warnings:
        log.warning("freshness: %s", warning)
    if errors:
        raise DataError(
            "sources stopped arriving: "
            + "; ".join(errors)
            + ". Deliver their extracts to the landing folder, then run again"
        )
    return warnings


def _dbt_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PZ_HOME": str(settings.home),
        "PZ_DUCKDB_PATH": str(settings.duckdb_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
    }


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
            ``audiences`` (the audience models and membership, the history snapshots
            and segment transitions, with their tests).
        run_date: Passed as ``--vars '{"run_date": ...}'``.
        settings: Where the warehouse is (default: from the environment).

    Returns:
        The phase, run date and number of nodes dbt ran.

    Raises:
        DataError: A model, seed or data test failed; the failed nodes are listed.
    """
    settings = settings or load_settings()
    command = dbt_command(phase, run_date, settings)
    env = _dbt_env(settings)
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
    run_results = settings.dbt_target_dir / "run_results.json"
    if process.returncode != 0:
        failed = _failed_nodes(run_results)
        detail = "\n".join(f"  {f}" for f in failed) or "  (see the dbt output above)"
        raise DataError(
            f"dbt build ({phase}, run_date {run_date}) exited with {process.returncode}:\n" + detail
        )
    nodes = len(json.loads(run_results.read_text())["results"]) if run_results.exists() else 0
    return {"phase": phase, "run_date": run_date, "nodes": nodes}
