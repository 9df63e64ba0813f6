"""Contract rules: rows that break one are quarantined with their line and reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from warehouse.contract import entity
from warehouse.load import load_landing
from warehouse.load.rules import violations

from .support import ORDERS_HEADER, query, write


def test_bad_rows_are_quarantined_and_accounted(landing: Path, db: Path) -> None:
    good = "".join(f"o{i},c{i},2026-03-01T10:00:00Z,web,1,placed\n" for i in range(40))
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\n{good}"
        "bad1,c1,not-a-time,web,1,placed\n"  # line 42
        "bad2,c1,2026-03-01T10:00:00Z,web,abc,placed\n"  # line 43
        "bad3,,2026-03-01T10:00:00Z,web,1,placed\n"  # line 44
        "bad4,c1,2026-03-01T10:00:00Z,fax,1,placed\n"  # line 45
        "bad5,c1,2026-03-01T10:00:00Z,web,-4,placed\n"  # line 46
        "bad6,c1,2026-03-01T10:00:00Z,web,1,placed,surplus\n"  # line 47
        "o99,c99,2026-03-01T10:00:00Z,web,1,placed\n",
    )
    summary = load_landing(landing, db, max_reject_rate=0.2)
    result = summary.results[0]
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded",
        47,
        41,
        6,
    )
    rejects = query(
        db, "select line, column_name, reason, raw_text from raw._rejects order by line"
    )
    assert [(r[0], r[1]) for r in rejects] == [
        (42, "order_ts"),
        (43, "total"),
        (44, "customer_id"),
        (45, "channel"),
        (46, "total"),
        (47, None),
    ]
    assert "not-a-time" in rejects[0][2] and "not-a-time" in rejects[0][3]
    assert rejects[2][2] == "missing required value"
    assert "too many columns" in rejects[5][2]
    assert "surplus" in rejects[5][3]
    # The record after the malformed one keeps its true record number.
    assert query(db, "select _row_number from raw.shop__orders where order_id = 'o99'") == [(47,)]
    loads = query(db, "select rows_read, rows_loaded, rows_rejected, status from raw._loads")
    assert loads == [(47, 41, 6, "loaded")]
    assert query(db, "select count(*) from raw.shop__orders") == [(41,)]


def test_a_few_rejects_in_a_tiny_file_do_not_fail_it(landing: Path, db: Path) -> None:
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\no2,c1,bad,web,1,placed\n",
    )
    summary = load_landing(landing, db)
    assert [(r.status, r.rows_loaded, r.rows_rejected) for r in summary.results] == [
        ("loaded", 1, 1)
    ]


def test_rules_apply_only_to_delivered_columns() -> None:
    orders = entity("shop", "orders")
    all_columns = {r.column for r in violations(orders, {c.name for c in orders.columns}, False)}
    assert {"order_id", "order_ts", "channel", "total", "status"} <= all_columns
    assert {r.column for r in violations(orders, {"order_id"}, False)} == {"order_id"}
    consent = entity("privacy", "consent")
    one_of = [r for r in violations(consent, {"email"}, False) if "|" in r.column]
    assert [r.column for r in one_of] == ["customer_id|email"]


def test_timestamps_before_the_earliest_date_are_rejected(landing: Path, db: Path) -> None:
    """Regression: a year-0001 timestamp passed the loader and failed the night in dbt
    naming no file or row; a year-1900 order reached the marts without a warning."""
    good = "".join(f"o{i},c{i},2026-03-01T10:00:00Z,web,1,placed\n" for i in range(40))
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\n{good}"
        "ancient,c1,0001-01-01T00:00:00Z,web,1,placed\n"  # line 42
        "old,c1,1900-05-01T00:00:00Z,web,1,placed\n"  # line 43
        "edge,c1,1970-01-01T00:00:00Z,web,1,placed\n",
    )
    summary = load_landing(landing, db)
    assert [(r.rows_loaded, r.rows_rejected) for r in summary.results] == [(41, 2)]
    rejects = query(db, "select file, line, column_name, reason from raw._rejects order by line")
    assert [r[:3] for r in rejects] == [
        ("shop/2026-03-01/orders.csv", 42, "order_ts"),
        ("shop/2026-03-01/orders.csv", 43, "order_ts"),
    ]
    assert all("before the earliest accepted date 1970-01-01" in r[3] for r in rejects)
    assert "0001-01-01" in rejects[0][3]


def test_the_earliest_date_is_configurable(landing: Path, db: Path) -> None:
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\nold,c1,1900-05-01T00:00:00Z,web,1,placed\n"
        "older,c1,1850-05-01T00:00:00Z,web,1,placed\n",
    )
    summary = load_landing(landing, db, earliest_date=dt.date(1900, 1, 1))
    assert [(r.rows_loaded, r.rows_rejected) for r in summary.results] == [(1, 1)]
    assert query(db, "select order_id from raw.shop__orders") == [("old",)]
    assert "1900-01-01" in query(db, "select reason from raw._rejects")[0][0]
