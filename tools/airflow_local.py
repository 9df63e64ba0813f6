"""Run the nightly DAG locally: ``make run`` and ``make demo``.

``python -m tools.airflow_local run --run-date YYYY-MM-DD`` points a local Airflow
(``AIRFLOW_HOME``, default ``$PZ_HOME/airflow``, SQLite, no example DAGs, DAGs from
``<repo>/dags``) at the pipeline, migrates its database and creates the
``duckdb_writer`` pool when needed, then runs ``airflow dags test personalization_nightly``
with ``{"run_date": ...}`` as the run's conf. Any date runs: the logical date is left to
Airflow. A run that Airflow calls a success but that ran no task or published nothing
for its date exits 1 all the same, saying which.

``python -m tools.airflow_local demo`` first writes sample extracts into
``PZ_LANDING_DIR`` (unless extracts are already there), runs the DAG for the sample's
last day and prints what came out and where.

``airflow dags test`` runs tasks one after another in one process and does not look at
pools; the pool matters for a scheduler, which never starts a task of a pool that does
not exist, so it is created here all the same.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pipeline.run_date import parse_run_date
from warehouse.settings import REPO_ROOT, Settings, load_settings

DAG_ID = "personalization_nightly"
DAGS_FOLDER = REPO_ROOT / "dags"
POOL = "duckdb_writer"
#: Written after a successful migrate + pool creation, with the Airflow version: later
#: runs skip both (each Airflow command costs several seconds of start-up).
READY_MARKER = ".pz_airflow_ready"
DEMO_CUSTOMERS = 2000
DEMO_DAYS = 120
DEMO_END_DATE = "2026-03-31"
DEMO_SEED = 42


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment of every Airflow command: local SQLite state, our DAGs folder."""
    home = settings.airflow_home
    return {
        **os.environ,
        "PZ_HOME": str(settings.home),
        "PZ_LANDING_DIR": str(settings.landing_dir),
        "PZ_DUCKDB_PATH": str(settings.duckdb_path),
        "PZ_EXPORT_DIR": str(settings.export_dir),
        "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }


def _airflow(args: list[str], env: dict[str, str]) -> None:
    airflow = Path(sys.executable).with_name("airflow")
    command = [str(airflow) if airflow.exists() else "airflow", *args]
    print("+ airflow " + " ".join(args), flush=True)
    subprocess.run(command, env=env, check=True)


def _airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def prepare_airflow(settings: Settings) -> dict[str, str]:
    """Migrate the Airflow database and create the pool, unless already done."""
    env = airflow_env(settings)
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    marker = home / READY_MARKER
    wanted = f"{_airflow_version()} {POOL}"
    if marker.exists() and marker.read_text().strip() == wanted:
        return env
    _airflow(["db", "migrate"], env)
    _airflow(["pools", "set", POOL, "1", "DuckDB allows one writer per file"], env)
    marker.write_text(wanted + "\n")
    return env


class NightDidNothing(RuntimeError):
    """The DAG run ended without failing but ran no task or published nothing for its date."""


def did_nothing(
    run_date: str, states: list[str], published_before: int | None, published_after: int | None
) -> str | None:
    """Why a DAG run that Airflow calls a success did not do its night, if it did not.

    Args:
        run_date: The run date.
        states: The states of the run's task instances.
        published_before: ``st_mtime_ns`` of ``<export_dir>/<run_date>/manifest.json``
            before the run (None: there was none).
        published_after: The same after the run.

    Returns:
        The reason, or None when tasks ran and the run published its date.
    """
    if not any(state in ("success", "failed") for state in states):
        seen = ", ".join(sorted(set(states))) or "no task instance at all"
        return f"the DAG run for {run_date} ran no task ({seen})"
    if published_after is None or published_after == published_before:
        return (
            f"the DAG run for {run_date} published nothing: no new exports/{run_date}/manifest.json"
        )
    return None


def _mtime_ns(path: Path) -> int | None:
    return path.stat().st_mtime_ns if path.exists() else None


def run_dag(
    run_date: str, settings: Settings | None = None, *, mark_success_pattern: str | None = None
) -> float:
    """Run the DAG once for ``run_date`` with ``airflow dags test``; return wall seconds.

    The run date travels in the run's conf only; the logical date is left to Airflow
    (the time of the call), so the DAG's start date never gates an old run date.

    Args:
        run_date: ``YYYY-MM-DD``, any date; passed as the run's conf.
        settings: Where the state lives (default: from the environment).
        mark_success_pattern: Regex of task ids to mark successful instead of running
            (e.g. redo only the exports over an already built warehouse).

    Raises:
        subprocess.CalledProcessError: The DAG run failed.
        NightDidNothing: The run did not fail but ran no task or published nothing.
    """
    settings = settings or load_settings()
    run_date = parse_run_date(run_date)
    manifest = settings.export_dir / run_date / "manifest.json"
    published_before = _mtime_ns(manifest)
    started = time.perf_counter()
    env = prepare_airflow(settings)
    args = ["dags", "test", DAG_ID, "--conf", json.dumps({"run_date": run_date})]
    if mark_success_pattern:
        args += ["--mark-success-pattern", mark_success_pattern]
    _airflow(args, env)
    states = [state for _, _, state in task_durations(settings, run_date)]
    reason = did_nothing(run_date, states, published_before, _mtime_ns(manifest))
    if reason:
        raise NightDidNothing(reason)
    return time.perf_counter() - started


def task_durations(settings: Settings, run_date: str) -> list[tuple[str, float, str]]:
    """(task, seconds, state) of the latest run of the DAG for ``run_date``."""
    db = settings.airflow_home / "airflow.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        row = con.execute(
            "select run_id from dag_run where dag_id = ? and conf like ? "
            "order by start_date desc limit 1",
            [DAG_ID, f'%"{run_date}"%'],
        ).fetchone()
        if row is None:
            return []
        return [
            (task_id, float(duration or 0.0), state or "")
            for task_id, duration, state in con.execute(
                "select task_id, duration, state from task_instance "
                "where dag_id = ? and run_id = ? order by start_date",
                [DAG_ID, row[0]],
            ).fetchall()
        ]


def _latest_extract_date(landing_dir: Path) -> str | None:
    dates = []
    for folder in landing_dir.glob("*/*"):
        try:
            dates.append(dt.date.fromisoformat(folder.name))
        except ValueError:
            continue
    return max(dates).isoformat() if dates else None


def ensure_sample(settings: Settings, customers: int, days: int, end_date: str) -> str:
    """Write sample extracts unless the landing folder has some; return their last day."""
    existing = _latest_extract_date(settings.landing_dir)
    if existing:
        print(f"extracts already in {settings.landing_dir} (last day {existing}): reusing them")
        return existing
    print(f"writing sample extracts: {customers} customers x {days} days to {end_date}")
    subprocess.run(
        [
            sys.executable, "-m", "warehouse.synthetic",
            "--customers", str(customers), "--days", str(days),
            "--end-date", end_date, "--seed", str(DEMO_SEED),
            "--out", str(settings.landing_dir),
        ],
        check=True,
    )  # fmt: skip
    return end_date


def summary(settings: Settings, run_date: str) -> str:
    """What the run produced and how to look at it."""
    folder = settings.export_dir / run_date
    lines = [""]
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        lines.append(f"Audiences for {run_date} (treated members; the holdout is not exported):")
        for entry in manifest["files"]:
            if entry["format"] == "parquet":
                empty = f"  (empty: {entry['empty_because']})" if "empty_because" in entry else ""
                lines.append(
                    f"  {entry['audience']:<26} {entry['channel']:<6} {entry['rows']:>7,} rows"
                    + empty
                )
        for model, reason in manifest.get("skipped_models", {}).items():
            lines.append(f"WARNING: model {model} was skipped: {reason}")
        lines.append(f"Files: {folder}/<audience>.parquet|csv and manifest.json")
    else:
        lines.append(f"No published exports in {folder}.")
    durations = task_durations(settings, run_date)
    if durations:
        lines.append("Task times:")
        lines += [f"  {task:<22} {seconds:>7.1f} s  {state}" for task, seconds, state in durations]
    venv = Path(sys.executable).parent
    lines += [
        "",
        "Look around:",
        f"  MLflow UI:   {venv}/mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}",
        f"  Airflow UI:  AIRFLOW_HOME={settings.airflow_home} AIRFLOW__CORE__DAGS_FOLDER="
        f"{DAGS_FOLDER} AIRFLOW__CORE__LOAD_EXAMPLES=False {venv}/airflow standalone",
        f"  dbt docs:    cd dbt_project && PZ_DUCKDB_PATH={settings.duckdb_path} "
        f"{venv}/dbt docs generate --vars '{{run_date: {run_date}}}' && {venv}/dbt docs serve",
        f"  warehouse:   {venv}/python -c \"import duckdb; duckdb.connect('{settings.duckdb_path}',"
        " read_only=True).sql('from audiences.membership limit 5').show()\"",
    ]
    return "\n".join(lines)


def _run_date_argument(value: str) -> str:
    try:
        return parse_run_date(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def backfill_dates(first: str, last: str) -> list[str]:
    """Every date from ``first`` to ``last``, both included, in order.

    Raises:
        ValueError: ``last`` is before ``first``.
    """
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    if end < start:
        raise ValueError(f"--to {last} is before --from {first}")
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _backfill(settings: Settings, dates: list[str]) -> int:
    """One night per date, oldest first; stop at the first that fails, naming it."""
    for done, run_date in enumerate(dates):
        try:
            seconds = run_dag(run_date, settings)
        except (subprocess.CalledProcessError, NightDidNothing) as exc:
            print(
                f"backfill stopped at {run_date} ({done} of {len(dates)} nights done): {exc}",
                file=sys.stderr,
            )
            return 1
        print(f"{run_date}: published in {seconds:.0f} s ({done + 1}/{len(dates)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``run --run-date D``, ``backfill --from D1 --to D2`` or ``demo``."""
    parser = argparse.ArgumentParser(prog="python -m tools.airflow_local")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the nightly DAG once for a run date")
    run.add_argument("--run-date", required=True, type=_run_date_argument, help="YYYY-MM-DD")
    backfill = commands.add_parser("backfill", help="one run per date of a range, in order")
    backfill.add_argument("--from", dest="first", required=True, type=_run_date_argument)
    backfill.add_argument("--to", dest="last", required=True, type=_run_date_argument)
    demo = commands.add_parser("demo", help="sample extracts, one run, a summary")
    demo.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
    demo.add_argument("--days", type=int, default=DEMO_DAYS)
    demo.add_argument("--end-date", type=_run_date_argument, default=DEMO_END_DATE)
    args = parser.parse_args(argv)
    settings = load_settings()
    started = time.perf_counter()
    if args.command == "backfill":
        try:
            dates = backfill_dates(args.first, args.last)
        except ValueError as exc:
            parser.error(str(exc))
        return _backfill(settings, dates)
    if args.command == "run":
        run_date = args.run_date
    else:
        run_date = ensure_sample(settings, args.customers, args.days, args.end_date)
    try:
        dag_seconds = run_dag(run_date, settings)
    except subprocess.CalledProcessError as exc:
        print(summary(settings, run_date))
        print(
            f"\nthe run for {run_date} failed (exit {exc.returncode}); see the log above",
            file=sys.stderr,
        )
        return 1
    except NightDidNothing as exc:
        print(summary(settings, run_date))
        print(f"\n{exc}", file=sys.stderr)
        return 1
    print(summary(settings, run_date))
    print(f"\nDAG run {dag_seconds:.0f} s; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
