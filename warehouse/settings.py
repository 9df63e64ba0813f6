"""Resolve the pipeline's configuration from the environment, once.

Every path the pipeline touches derives from a handful of environment variables
(see the README's configuration table). Nothing here depends on the current working
directory: defaults are anchored at the repository root, so a task started by
Airflow, a test in a temporary folder and an analyst in ``dbt_project/`` all see the
same files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_DUCKDB_MEMORY_LIMIT = "8GB"
DEFAULT_EXPORT_FILE_MODE = 0o600
DEFAULT_LOAD_EARLIEST_DATE = dt.date(1970, 1, 1)
DEFAULT_DRIFT_PSI_WARN = 0.2
SCHEMA_DRIFT_MODES = ("warn", "fail")


@dataclass(frozen=True)
class Settings:
    """Where the pipeline keeps its state.

    Attributes:
        home: Root of all state (``PZ_HOME``).
        landing_dir: Where source extracts arrive (``PZ_LANDING_DIR``).
        duckdb_path: The warehouse file (``PZ_DUCKDB_PATH``).
        export_dir: Published audience files (``PZ_EXPORT_DIR``).
        mlflow_tracking_uri: The MLflow store (``MLFLOW_TRACKING_URI``).
        airflow_home: Airflow state for local runs (``AIRFLOW_HOME``).
        duckdb_memory_limit: DuckDB's memory limit for every connection the pipeline
            opens, dbt's included (``PZ_DUCKDB_MEMORY_LIMIT``); beyond it DuckDB evicts
            cached blocks and spills to disk.
        export_file_mode: Permission bits of the export files (``PZ_EXPORT_FILE_MODE``,
            octal, owner-only ``600`` by default); their folders get the same bits plus
            execute where read is granted (``700`` by default).
        load_earliest_date: The loader rejects a timestamp before this day, UTC
            (``PZ_LOAD_EARLIEST_DATE``, ``YYYY-MM-DD``).
        load_schema_drift: What the loader does when a file lacks an optional column
            that earlier deliveries of its entity carried: ``warn`` (record and log it)
            or ``fail`` the file (``PZ_LOAD_SCHEMA_DRIFT``).
        person_id_key_file: The deployment's secret that person ids are keyed with
            (``PZ_PERSON_ID_KEY_FILE``, ``$PZ_HOME/secrets/person_id.key`` by default);
            created owner-only by the first load, never committed.
        drift_psi_warn: The population stability index at or above which a model
            feature or score has drifted from the training data of the version that
            scored it (``PZ_DRIFT_PSI_WARN``, 0.2 by default); the night warns.
        drift_fail: Whether drift fails the night before its exports are published
            (``PZ_DRIFT_FAIL=1``) instead of warning.
    """

    home: Path
    landing_dir: Path
    duckdb_path: Path
    export_dir: Path
    mlflow_tracking_uri: str
    airflow_home: Path
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    export_file_mode: int = DEFAULT_EXPORT_FILE_MODE
    load_earliest_date: dt.date = DEFAULT_LOAD_EARLIEST_DATE
    load_schema_drift: str = "warn"
    person_id_key_file: Path | None = None
    drift_psi_warn: float = DEFAULT_DRIFT_PSI_WARN
    drift_fail: bool = False

    @property
    def mlflow_dir(self) -> Path:
        """Folder of the default SQLite MLflow store and its artifacts."""
        return self.home / "mlflow"

    @property
    def dbt_target_dir(self) -> Path:
        """Where the pipeline's dbt runs write their artifacts (``manifest.json`` …)."""
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        """Where the pipeline's dbt runs write their logs."""
        return self.home / "dbt" / "logs"


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).expanduser().resolve() if value else default


def _file_mode(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        mode = int(value, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777 or mode & 0o600 != 0o600:
        raise ValueError(
            f"{name} must be octal permission bits within 777 that let the owner read and "
            f"write (such as 600), got {value!r}"
        )
    return mode


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the configuration variables, applying the documented defaults.

    Args:
        env: Mapping to read instead of ``os.environ`` (used by tests).

    Returns:
        The resolved settings; paths are absolute.

    Raises:
        ValueError: ``PZ_LOAD_EARLIEST_DATE``, ``PZ_LOAD_SCHEMA_DRIFT``,
            ``PZ_DRIFT_PSI_WARN`` or ``PZ_DRIFT_FAIL`` is malformed.
    """
    env = dict(os.environ if env is None else env)
    home = _path(env, "PZ_HOME", REPO_ROOT / "data")
    mlflow_default = f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"
    return Settings(
        home=home,
        landing_dir=_path(env, "PZ_LANDING_DIR", home / "landing"),
        duckdb_path=_path(env, "PZ_DUCKDB_PATH", home / "warehouse.duckdb"),
        export_dir=_path(env, "PZ_EXPORT_DIR", home / "exports"),
        mlflow_tracking_uri=env.get("MLFLOW_TRACKING_URI") or mlflow_default,
        airflow_home=_path(env, "AIRFLOW_HOME", home / "airflow"),
        duckdb_memory_limit=env.get("PZ_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT,
        export_file_mode=_file_mode(env, "PZ_EXPORT_FILE_MODE", DEFAULT_EXPORT_FILE_MODE),
        load_earliest_date=_date(env, "PZ_LOAD_EARLIEST_DATE", DEFAULT_LOAD_EARLIEST_DATE),
        load_schema_drift=_choice(env, "PZ_LOAD_SCHEMA_DRIFT", SCHEMA_DRIFT_MODES),
        person_id_key_file=_path(env, "PZ_PERSON_ID_KEY_FILE", home / "secrets" / "person_id.key"),
        drift_psi_warn=_positive(env, "PZ_DRIFT_PSI_WARN", DEFAULT_DRIFT_PSI_WARN),
        drift_fail=_flag(env, "PZ_DRIFT_FAIL"),
    )


def _positive(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise ValueError(f"{name} must be a positive number such as 0.2, got {value!r}")
    return number


def _flag(env: dict[str, str], name: str) -> bool:
    value = (env.get(name) or "0").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"{name} must be 1 or 0, got {env[name]!r}")
    return value in ("1", "true", "yes")


def _date(env: dict[str, str], name: str, default: dt.date) -> dt.date:
    value = env.get(name)
    if not value:
        return default
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"{name} must be a date written YYYY-MM-DD, got {value!r}")


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or choices[0]).lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {env[name]!r}")
    return value
