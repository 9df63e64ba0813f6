"""SQL fragments shared by the renderers: deterministic noise and timestamp text.

Every random-looking choice in a rendered extract is a hash of a key and a salt, so a
seed's files are the same bytes on every run.
"""

from __future__ import annotations

import datetime as dt

EPOCH = dt.date(1970, 1, 1)


def day_str(day: int) -> str:
    """Epoch day number to ``YYYY-MM-DD``."""
    return (EPOCH + dt.timedelta(days=int(day))).isoformat()


def u(key: str, salt: str) -> str:
    """A deterministic uniform number in [0, 1) derived from a key (SQL)."""
    return f"(hash({key}, '{salt}') % 1000000) / 1000000.0"


def ts(seconds: str, salt: str) -> str:
    """ISO 8601 text for epoch seconds; one in ten carries a +01:00 offset (SQL)."""
    return (
        f"case when {u(seconds, salt)} < 0.1 "
        f"then strftime(to_timestamp({seconds} + 3600), '%Y-%m-%dT%H:%M:%S') || '+01:00' "
        f"else strftime(to_timestamp({seconds}), '%Y-%m-%dT%H:%M:%SZ') end"
    )
