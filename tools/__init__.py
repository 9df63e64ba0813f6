"""Development tooling: a local Airflow for ``make run`` and ``make demo``."""
