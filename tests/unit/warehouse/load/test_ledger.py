"""The raw tables and the ledger: every table exists, loads are idempotent, a changed
file replaces its earlier rows, a failure is reported until fixed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from warehouse.contract import ENTITIES
from warehouse.load import load_landing

from .support import CUSTOMERS, ORDERS_HEADER, query, write


def test_every_contract_table_exists_even_without_files(landing: Path, db: Path) -> None:
    landing.mkdir()
    summary = load_landing(landing, db)
    assert summary.results == []
    tables = {
        r[0] for r in query(db, "select table_name from duckdb_tables() where schema_name = 'raw'")
    }
    assert {e.table for e in ENTITIES} | {"_loads", "_rejects"} <= tables
    cols = [r[0] for r in query(db, "describe raw.shop__orders")]
    assert cols[:3] == ["order_id", "customer_id", "order_ts"]
    assert cols[-5:] == ["_file", "_file_sha256", "_extract_date", "_loaded_at", "_row_number"]


def test_loading_twice_changes_nothing(landing: Path, db: Path) -> None:
    write(
        landing, "shop/2026-03-01/orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\n"
    )
    write(landing, "crm/2026-03-01/customers.csv", CUSTOMERS)
    load_landing(landing, db)
    before = query(db, "select * from raw.shop__orders") + query(db, "select * from raw._loads")
    second = load_landing(landing, db)
    assert [r.status for r in second.results] == ["skipped", "skipped"]
    assert (
        query(db, "select * from raw.shop__orders") + query(db, "select * from raw._loads")
        == before
    )


def test_changed_file_replaces_its_earlier_rows(landing: Path, db: Path) -> None:
    path = write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\no2,c2,2026-03-01,web,x,placed\n",
    )
    load_landing(landing, db, max_reject_rate=1)
    path.write_text(f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,shipped\n")
    summary = load_landing(landing, db)
    assert [r.status for r in summary.results] == ["loaded"]
    assert query(db, "select order_id, status from raw.shop__orders") == [("o1", "shipped")]
    assert query(db, "select count(*) from raw._rejects") == [(0,)]
    assert query(db, "select count(*), min(rows_read) from raw._loads") == [(1, 1)]


def test_failed_file_is_reported_again_until_fixed(landing: Path, db: Path) -> None:
    write(landing, "shop/2026-03-01/orders.csv", "order_id\no1\n")
    assert len(load_landing(landing, db).failed) == 1
    assert len(load_landing(landing, db).failed) == 1
    assert query(db, "select count(*) from raw._loads") == [(1,)]


def test_timestamps_after_the_extract_date_are_reported(
    landing: Path, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: records dated after their delivery's extract date loaded unremarked."""
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER},updated_at\n"
        "o1,c1,2026-03-01T23:59:59Z,web,1,placed,2026-03-01T23:00:00Z\n"
        "o2,c1,2026-03-02T00:00:01Z,web,1,placed,\n"
        "o3,c1,2026-03-01T10:00:00Z,web,1,placed,2027-01-01T00:00:00Z\n"
        "o4,c1,2026-03-05T10:00:00Z,web,1,placed,2026-03-05T10:00:00Z\n",
    )
    with caplog.at_level(logging.WARNING):
        summary = load_landing(landing, db)
    result = summary.results[0]
    assert (result.status, result.rows_loaded, result.future_timestamps) == ("loaded", 4, 3)
    assert query(db, "select future_timestamps, warnings from raw._loads") == [
        (3, result.warnings[0])
    ]
    assert "3 rows" in result.warnings[0] and "2026-03-01" in result.warnings[0]
    assert "shop/2026-03-01/orders.csv" in caplog.text and "3 rows" in caplog.text


def test_duplicate_keys_inside_one_file_are_reported(
    landing: Path, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: duplicate keys inside one file were neither flagged nor rejected."""
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\n"
        "o1,c1,2026-03-01T10:00:00Z,web,1,placed\n"
        "o1,c1,2026-03-01T11:00:00Z,web,1,shipped\n"
        "o2,c1,2026-03-01T10:00:00Z,web,1,placed\n"
        "o1,c1,2026-03-01T12:00:00Z,web,1,delivered\n",
    )
    write(
        landing,
        "shop/2026-03-01/order_items.csv",
        "order_id,line_number,product_id,quantity,unit_price\n"
        "o1,1,p1,1,1\no1,2,p1,1,1\no2,1,p1,1,1\no1,2,p2,1,1\n",
    )
    write(
        landing, "shop/2026-03-02/orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-03-02,web,1,placed\n"
    )
    with caplog.at_level(logging.WARNING):
        summary = load_landing(landing, db)
    assert {r.file: r.duplicate_keys for r in summary.results} == {
        "shop/2026-03-01/order_items.csv": 1,
        "shop/2026-03-01/orders.csv": 2,
        "shop/2026-03-02/orders.csv": 0,
    }
    assert query(db, "select file, duplicate_keys from raw._loads order by file") == [
        ("shop/2026-03-01/order_items.csv", 1),
        ("shop/2026-03-01/orders.csv", 2),
        ("shop/2026-03-02/orders.csv", 0),
    ]
    assert "2 rows repeat a key (order_id)" in caplog.text
    assert "1 rows repeat a key (order_id, line_number)" in caplog.text
    assert query(db, "select count(*) from raw.shop__orders") == [(5,)]


def _customers(landing: Path, day: str, email_header: str) -> None:
    write(
        landing,
        f"crm/{day}/customers.csv",
        f"customer_id,{email_header},created_at,updated_at\n"
        f"c1,a@x.com,2026-01-01,2026-01-01\nc2,b@x.com,2026-01-01,2026-01-01\n",
    )


def test_a_renamed_optional_column_is_schema_drift(
    landing: Path, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: ``email`` delivered as ``e_mail`` in one CRM snapshot nulled the field
    for every person without a warning."""
    _customers(landing, "2026-03-01", "email")
    assert not load_landing(landing, db).failed
    _customers(landing, "2026-03-02", "e_mail")
    _customers(landing, "2026-03-03", "email")
    with caplog.at_level(logging.WARNING):
        summary = load_landing(landing, db)
    drifted = {r.file: r.warnings for r in summary.results if r.status == "loaded"}
    assert list(drifted) == ["crm/2026-03-02/customers.csv", "crm/2026-03-03/customers.csv"]
    [warning] = drifted["crm/2026-03-02/customers.csv"]
    assert "schema drift" in warning and "email" in warning and "e_mail" in warning
    assert "crm/2026-03-01/customers.csv" in warning
    assert drifted["crm/2026-03-03/customers.csv"] == []
    assert query(db, "select warnings from raw._loads where file like '%03-02%'") == [(warning,)]
    assert "crm/2026-03-02/customers.csv" in caplog.text and "schema drift" in caplog.text


def test_schema_drift_can_fail_the_file(
    landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schema drift fails the file when ``PZ_LOAD_SCHEMA_DRIFT=fail``, also when the
    earlier delivery comes in the same load."""
    monkeypatch.setenv("PZ_LOAD_SCHEMA_DRIFT", "fail")
    _customers(landing, "2026-03-01", "email")
    _customers(landing, "2026-03-02", "e_mail")
    summary = load_landing(landing, db)
    assert [(r.file, r.status) for r in summary.results] == [
        ("crm/2026-03-01/customers.csv", "loaded"),
        ("crm/2026-03-02/customers.csv", "failed"),
    ]
    assert "schema drift" in summary.failed[0].error and "email" in summary.failed[0].error
    assert query(db, "select count(*) from raw.crm__customers") == [(2,)]
