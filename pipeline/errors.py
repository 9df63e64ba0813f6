"""The failure that retrying cannot fix."""

from __future__ import annotations


class DataError(RuntimeError):
    """The data failed a check; re-running the same step on the same data fails again.

    A rejected extract file, a failed dbt model or test and a failed export audit
    raise it, and the DAG fails such a task at once instead of retrying it. Any other
    exception (a locked file, a full disk) may be transient and is retried.
    """
