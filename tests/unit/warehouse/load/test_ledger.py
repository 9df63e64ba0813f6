"""The raw tables and the ledger: every table exists, loads are idempotent, a changed
file replaces its earlier rows, a failure is reported until fixed."""

from __future__ import annotations

from pathlib import Path

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
