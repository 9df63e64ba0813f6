"""Defaults shared by the DAGs in this folder (the leading underscore: not a DAG).

Keep this module cheap to import: the DAG processor imports it on every parse.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager

#: Pool of one slot shared by every task that opens the DuckDB file: DuckDB allows one
#: read-write process per file. `make run` creates it (`airflow pools set`); on a
#: deployed Airflow create it once the same way.
DUCKDB_POOL = "duckdb_writer"

#: Cron schedule of the nightly run, in UTC. Override with PZ_SCHEDULE (read when the
#: DAG file is parsed), e.g. PZ_SCHEDULE="30 4 * * *".
NIGHTLY_SCHEDULE = os.environ.get("PZ_SCHEDULE", "0 3 * * *")

START_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

#: Transient failures (a locked file, a full disk, a killed worker) are retried with
#: exponential back-off: 2, 4, then 8 minutes, capped at 30. Data failures are not
#: retried (see fail_fast).
DEFAULT_ARGS = {
    "owner": "data-engineering",
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=30),
    "execution_timeout": dt.timedelta(hours=2),
}


@contextmanager
def fail_fast() -> Iterator[None]:
    """Turn a data failure (``pipeline.errors.DataError``) into a failure without retry.

    A failed dbt test or export audit fails the same way on the same data, so the
    task fails at once instead of retrying for half an hour.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from pipeline.errors import DataError

    try:
        yield
    except DataError as exc:
        raise AirflowFailException(str(exc)) from exc
