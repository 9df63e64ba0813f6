"""Airflow configuration of the DAG tests, set before anything imports airflow.

State goes to a temporary AIRFLOW_HOME (never ~/airflow), and the DAGs folder is the
repository's, as `make run` configures it: Airflow puts that folder on sys.path, which
is how the DAG file finds ``_common``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="pz-airflow-home-"))
os.environ.setdefault(
    "AIRFLOW__CORE__DAGS_FOLDER", str(Path(__file__).resolve().parents[2] / "dags")
)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
