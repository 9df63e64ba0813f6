"""Helpers of the loader tests: write a delivered file, query the warehouse."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb

ORDERS_HEADER = "order_id,customer_id,order_ts,channel,total,status"
CUSTOMERS = "customer_id,created_at,updated_at\nc1,2026-01-01,2026-01-01\n"


def write(landing: Path, rel: str, text: str | bytes) -> Path:
    """Write a file below ``landing``; a ``.gz`` name is gzipped."""
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    if rel.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one read-only query against the warehouse file, in UTC."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set timezone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
