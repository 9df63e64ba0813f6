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

Both are quiet: Airflow's and dbt's full logs go to ``$PZ_HOME/logs/<command>-<run
date>.log`` (its path is printed); the terminal shows one line per step with its time
and outcome, then the summary, and on a failure the reason the failed step gave.

``python -m tools.airflow_local airflow`` starts ``airflow standalone`` and
``python -m tools.airflow_local mlflow`` the MLflow UI, both on 127.0.0.1 with the
same settings as the runs, printing where to log in.

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
from warehouse.files import private_umask
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
UI_HOST = "127.0.0.1"
AIRFLOW_PORT = 8080
MLFLOW_PORT = 5000


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
        "AIRFLOW__API__HOST": UI_HOST,
        "AIRFLOW__API__PORT": str(AIRFLOW_PORT),
    }


def venv_executable(name: str) -> str:
    """The console script ``name`` beside this interpreter (the project's virtualenv).

    The virtualenv is rarely on ``PATH``; looking the name up there fails with
    ``FileNotFoundError`` even though the script is installed.
    """
    return str(Path(sys.executable).with_name(name))


def log_file(settings: Settings, command: str, run_date: str) -> Path:
    """``$PZ_HOME/logs/<command>-<run_date>.log``, emptied: the full log of one command."""
    path = settings.home / "logs" / f"{command}-{run_date}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def _airflow(args: list[str], env: dict[str, str], log: Path | None = None) -> None:
    """Run ``airflow <args>``; its output goes to ``log`` when given, else to the terminal."""
    command = [venv_executable("airflow"), *args]
    if log is None:
        subprocess.run(command, env=env, check=True)
        return
    with log.open("a") as out:
        out.write("+ airflow " + " ".join(args) + "\n")
        out.flush()
        subprocess.run(command, env=env, check=True, stdout=out, stderr=subprocess.STDOUT)


def _airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def prepare_airflow(settings: Settings, log: Path | None = None) -> dict[str, str]:
    """Migrate the Airflow database and create the pool, unless already done."""
    env = airflow_env(settings)
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    marker = home / READY_MARKER
    wanted = f"{_airflow_version()} {POOL}"
    if marker.exists() and marker.read_text().strip() == wanted:
        return env
    _airflow(["db", "migrate"], env, log)
    _airflow(["pools", "set", POOL, "1", "DuckDB allows one writer per file"], env, log)
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
    run_date: str,
    settings: Settings | None = None,
    *,
    mark_success_pattern: str | None = None,
    allow_future: bool = False,
    retrain: bool = False,
    log: Path | None = None,
) -> float:
    """Run the DAG once for ``run_date`` with ``airflow dags test``; return wall seconds.

    The run date travels in the run's conf only; the logical date is left to Airflow
    (the time of the call), so the DAG's start date never gates an old run date.

    Args:
        run_date: ``YYYY-MM-DD``, any date; passed as the run's conf.
        settings: Where the state lives (default: from the environment).
        mark_success_pattern: Regex of task ids to mark successful instead of running
            (e.g. redo only the exports over an already built warehouse).
        allow_future: Run a date after the last delivery (the DAG's ``allow_future``).
        retrain: Train every model tonight (the DAG's ``retrain``).
        log: File that takes Airflow's output (default: the terminal).

    Raises:
        subprocess.CalledProcessError: The DAG run failed.
        NightDidNothing: The run did not fail but ran no task or published nothing.
    """
    settings = settings or load_settings()
    run_date = parse_run_date(run_date)
    manifest = settings.export_dir / run_date / "manifest.json"
    published_before = _mtime_ns(manifest)
    started = time.perf_counter()
    env = prepare_airflow(settings, log)
    conf = {
        "run_date": run_date,
        **({"allow_future": True} if allow_future else {}),
        **({"retrain": True} if retrain else {}),
    }
    args = ["dags", "test", DAG_ID, "--conf", json.dumps(conf)]
    if mark_success_pattern:
        args += ["--mark-success-pattern", mark_success_pattern]
    _airflow(args, env, log)
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
    log = settings.home / "logs" / "synthetic.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"writing sample extracts: {customers} customers x {days} days to {end_date} (log {log})")
    with log.open("w") as out:
        subprocess.run(
            [
                sys.executable, "-m", "warehouse.synthetic",
                "--customers", str(customers), "--days", str(days),
                "--end-date", end_date, "--seed", str(DEMO_SEED),
                "--out", str(settings.landing_dir),
            ],
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    return end_date


def step_lines(settings: Settings, run_date: str) -> list[str]:
    """One line per step of the latest run for ``run_date``: name, seconds, outcome."""
    return [
        f"  {task:<22} {seconds:>7.1f} s  {state or 'not run'}"
        for task, seconds, state in task_durations(settings, run_date)
    ]


MAX_REASON_DETAIL = 20


def failure_reason(log: Path) -> str | None:
    """The message the failed step gave, from the run's log (the last one, if several),
    with the indented lines that follow it (the failed dbt nodes, for a dbt build)."""
    if not log.exists():
        return None
    lines = log.read_text(errors="replace").splitlines()
    for i in reversed(range(len(lines))):
        marker = next((m for m in ("AirflowFailException: ", "DataError: ") if m in lines[i]), None)
        if marker is None:
            continue
        reason = [lines[i].split(marker, 1)[1].strip()]
        for detail in lines[i + 1 : i + 1 + MAX_REASON_DETAIL]:
            if not detail.startswith("  ") or detail.lstrip().startswith(("File ", "^")):
                break
            reason.append(detail.rstrip())
        return "\n".join(reason)
    return None


def drift_lines(drift: list[dict]) -> list[str]:
    """One warning per model with drift (the manifest's ``drift``): how many columns, the
    largest, and the version whose training data they were compared with."""
    lines = []
    for model in dict.fromkeys(entry["model"] for entry in drift):
        entries = [e for e in drift if e["model"] == model]
        measured = [e for e in entries if e["psi"] is not None]
        if not measured:
            lines.append(
                f"WARNING: drift: {model} version {entries[0]['model_version']} has no "
                "reference distribution; drift not measured"
            )
            continue
        worst = max(measured, key=lambda e: e["psi"])
        lines.append(
            f"WARNING: drift: {model}: {len(measured)} of its features and scores at or above "
            f"PSI {worst['threshold']} against the training data of version "
            f"{worst['model_version']}, the largest {worst['kind']} {worst['name']} "
            f"{worst['psi']:.3f} (report.html)"
        )
    return lines


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
        for entry in manifest["files"]:
            if "warning" in entry:
                lines.append(f"WARNING: {entry['file']}: {entry['warning']}")
        lines += drift_lines(manifest.get("drift", []))
        lines.append(
            f"Files: {folder}/<audience>.parquet|csv, <audience>.<tool>.csv (docs/exports.md) "
            "and manifest.json"
        )
        if manifest.get("report"):
            lines.append(f"Report: {folder}/{manifest['report']['file']} (opens offline)")
    else:
        lines.append(f"No published exports in {folder}.")
    venv = Path(sys.executable).parent
    lines += [
        "",
        "Look around:",
        f"  MLflow UI:   make mlflow   (http://{UI_HOST}:{MLFLOW_PORT})",
        f"  Airflow UI:  make airflow  (http://{UI_HOST}:{AIRFLOW_PORT}, user admin, password "
        f"in {password_file(settings)})",
        f"  dbt docs:    cd dbt_project && PZ_DUCKDB_PATH={settings.duckdb_path} "
        f"{venv}/dbt docs generate --vars '{{run_date: {run_date}}}' && {venv}/dbt docs serve",
        f"  warehouse:   {venv}/python -c \"import duckdb; duckdb.connect('{settings.duckdb_path}',"
        " read_only=True).sql('from audiences.membership limit 5').show()\"",
    ]
    return "\n".join(lines)


def password_file(settings: Settings) -> Path:
    """Where ``airflow standalone`` writes the generated admin password."""
    return settings.airflow_home / "simple_auth_manager_passwords.json.generated"


def paused_warning(env: dict[str, str]) -> str | None:
    """A warning when the DAG is paused (or not parsed yet, so it will start paused).

    A paused DAG's scheduled runs and backfills stay queued; nothing says so in the
    Backfill form.
    """
    done = subprocess.run(
        [venv_executable("airflow"), "dags", "details", DAG_ID, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
    )
    try:
        details = json.loads(done.stdout)
        paused = (details[0] if isinstance(details, list) else details).get("is_paused")
    except (ValueError, IndexError, AttributeError):
        paused = True
    if paused is False:
        return None
    return (
        f"warning: {DAG_ID} is paused (new DAGs start paused): its scheduled runs and "
        "backfills stay queued until you unpause it with the toggle in the UI or "
        f"`{venv_executable('airflow')} dags unpause {DAG_ID}`"
    )


def start_airflow_ui(settings: Settings) -> int:
    """``airflow standalone`` on 127.0.0.1 with the project's settings; print the login."""
    env = prepare_airflow(settings)
    warning = paused_warning(env)
    if warning:
        print(warning)
    print(
        f"Airflow UI: http://{UI_HOST}:{AIRFLOW_PORT}  user admin, password in "
        f"{password_file(settings)} (written at first start)\nAIRFLOW_HOME={settings.airflow_home}"
        "; stop with Ctrl-C",
        flush=True,
    )
    return subprocess.run([venv_executable("airflow"), "standalone"], env=env).returncode


def mlflow_ui_command(settings: Settings) -> list[str]:
    """The ``mlflow ui`` command line over the project's store, on 127.0.0.1."""
    return [
        venv_executable("mlflow"), "ui",
        "--backend-store-uri", settings.mlflow_tracking_uri,
        "--host", UI_HOST, "--port", str(MLFLOW_PORT),
    ]  # fmt: skip


def start_mlflow_ui(settings: Settings) -> int:
    """The MLflow UI over the project's store; no login (a local, loopback-only server)."""
    print(
        f"MLflow UI: http://{UI_HOST}:{MLFLOW_PORT}  (no login; store "
        f"{settings.mlflow_tracking_uri}); stop with Ctrl-C",
        flush=True,
    )
    return subprocess.run(mlflow_ui_command(settings), env=airflow_env(settings)).returncode


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


def _backfill(settings: Settings, dates: list[str], allow_future: bool = False) -> int:
    """One night per date, oldest first; stop at the first that fails, naming it."""
    for done, run_date in enumerate(dates):
        log = log_file(settings, "backfill", run_date)
        try:
            seconds = run_dag(run_date, settings, allow_future=allow_future, log=log)
        except (subprocess.CalledProcessError, NightDidNothing) as exc:
            reason = failure_reason(log) or str(exc)
            print(
                f"backfill stopped at {run_date} ({done} of {len(dates)} nights done): {reason}"
                f"\nfull log: {log}",
                file=sys.stderr,
            )
            return 1
        print(f"{run_date}: published in {seconds:.0f} s ({done + 1}/{len(dates)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``run``, ``backfill``, ``demo``, ``airflow`` or ``mlflow``."""
    private_umask()
    parser = argparse.ArgumentParser(
        prog="python -m tools.airflow_local",
        description="Run the nightly DAG locally and open the Airflow and MLflow UIs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the nightly DAG once for a run date")
    run.add_argument("--run-date", required=True, type=_run_date_argument, help="YYYY-MM-DD")
    backfill = commands.add_parser("backfill", help="one run per date of a range, in order")
    backfill.add_argument("--from", dest="first", required=True, type=_run_date_argument)
    backfill.add_argument("--to", dest="last", required=True, type=_run_date_argument)
    for command in (run, backfill):
        command.add_argument(
            "--allow-future",
            action="store_true",
            help="run a date after the last delivery (also PZ_ALLOW_FUTURE=1)",
        )
    run.add_argument(
        "--retrain",
        action="store_true",
        help="train every model tonight, even those not due (PZ_RETRAIN_DAYS)",
    )
    demo = commands.add_parser("demo", help="sample extracts, one run, a summary")
    demo.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
    demo.add_argument("--days", type=int, default=DEMO_DAYS)
    demo.add_argument("--end-date", type=_run_date_argument, default=DEMO_END_DATE)
    commands.add_parser("airflow", help="airflow standalone on 127.0.0.1 with these settings")
    commands.add_parser("mlflow", help="the MLflow UI on 127.0.0.1 over the project's store")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "airflow":
        return start_airflow_ui(settings)
    if args.command == "mlflow":
        return start_mlflow_ui(settings)
    allow_future = bool(getattr(args, "allow_future", False))
    if args.command in ("run", "backfill") and not settings.landing_dir.is_dir():
        print(
            f"no landing folder {settings.landing_dir}: put the extracts there "
            "(<source>/<YYYY-MM-DD>/<entity>.<ext>), set PZ_LANDING_DIR, or run `make demo`",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    if args.command == "backfill":
        try:
            dates = backfill_dates(args.first, args.last)
        except ValueError as exc:
            parser.error(str(exc))
        return _backfill(settings, dates, allow_future)
    if args.command == "run":
        run_date = args.run_date
    else:
        run_date = ensure_sample(settings, args.customers, args.days, args.end_date)
    log = log_file(settings, args.command, run_date)
    print(f"running the night of {run_date}; full Airflow and dbt log: {log}", flush=True)
    try:
        dag_seconds = run_dag(
            run_date,
            settings,
            allow_future=allow_future,
            retrain=bool(getattr(args, "retrain", False)),
            log=log,
        )
    except (subprocess.CalledProcessError, NightDidNothing) as exc:
        print("\n".join(step_lines(settings, run_date)))
        reason = failure_reason(log) or str(exc)
        print(f"\nthe run for {run_date} failed: {reason}\nfull log: {log}", file=sys.stderr)
        return 1
    print("\n".join(step_lines(settings, run_date)))
    print(summary(settings, run_date))
    print(f"\nDAG run {dag_seconds:.0f} s; total {time.perf_counter() - started:.0f} s; log {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
