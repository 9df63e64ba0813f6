"""The steps of one night: the run-date rule, the dbt runner, the model registry.

``dags/``, ``bench/`` and ``tools/`` call this package; it calls ``ml`` and
``warehouse``. Every module here is cheap to import (heavy libraries are imported
inside the functions that use them), because the DAG file imports the list of steps
each time Airflow parses it.
"""
