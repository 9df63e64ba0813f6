"""Resolve the pipeline's configuration from the environment, once.

Every path the pipeline touches derives from a handful of environment variables
(see the README's configuration table). Nothing here depends on the current working
directory: defaults are anchored at the repository root, so a task started by
Airflow, a test in a temporary folder and an analyst in ``dbt_project/`` all see the
same files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_DUCKDB_MEMORY_LIMIT = "8GB"
DEFAULT_EXPORT_FILE_MODE = 0o600


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
    """

    home: Path
    landing_dir: Path
    duckdb_path: Path
    export_dir: Path
    mlflow_tracking_uri: str
    airflow_home: Path
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    export_file_mode: int = DEFAULT_EXPORT_FILE_MODE

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
    )
