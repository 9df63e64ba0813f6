"""Nothing dropped between raw and the marts: customers without a CRM record, late CRM
snapshots, and the reconciliation of every delivered order, on a tiny hand-made delivery.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipeline.dbt import DBT_PHASES
from tests.integration.conftest import dbt
from warehouse.load import load_landing

pytestmark = [pytest.mark.integration]

RUN_DATE = dt.date(2026, 3, 31)


def _csv(path: Path, header: str, *rows: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CRM customer (c1, delivered after the run date), orders of c1, of c2 (no CRM
    record) and one placed after the run date, a store purchase without a card."""
    root = tmp_path_factory.mktemp("no_crm")
    landing = root / "landing"
    late = "2026-04-15"
    _csv(
        landing / "crm" / late / "customers.csv",
        "customer_id,email,first_name,created_at,updated_at",
        "c1,ann@shop.example,Ann,2026-01-05T10:00:00Z,2026-01-05T10:00:00Z",
    )
    _csv(
        landing / "shop" / "2026-03-01" / "products.csv",
        "product_id,name,category,price,updated_at",
        "p1,Mug,Kitchen,10.00,2026-01-01T00:00:00Z",
    )
    _csv(
        landing / "shop" / "2026-03-31" / "orders.csv",
        "order_id,customer_id,order_ts,channel,total,status",
        "o1,c1,2026-02-01T09:00:00Z,web,20.00,delivered",
        "o2,c2,2026-03-10T09:00:00Z,web,10.00,delivered",
    )
    _csv(
        landing / "shop" / "2026-03-31" / "order_items.csv",
        "order_id,line_number,product_id,quantity,unit_price",
        "o1,1,p1,3,6.6667",
        "o2,1,p1,1,10.00",
    )
    _csv(
        landing / "shop" / late / "orders.csv",
        "order_id,customer_id,order_ts,channel,total,status",
        "o3,c2,2026-04-10T09:00:00Z,web,10.00,delivered",
    )
    _csv(
        landing / "pos" / "2026-03-31" / "transactions.csv",
        "transaction_id,line_number,store_id,loyalty_id,transaction_ts,product_id,quantity,unit_price",
        "t1,1,s1,,2026-03-20T12:00:00Z,p1,1,10.00",
    )
    db = root / "warehouse.duckdb"
    assert not load_landing(landing, db).failed
    dbt(["build", *DBT_PHASES["marts"]], db, RUN_DATE)
    return db


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_customer_id_that_only_ordered_is_a_person(warehouse: Path) -> None:
    """Regression: orders whose customer id had no CRM record vanished from the marts."""
    people = _rows(
        warehouse,
        "select customer_id, has_crm_record, lifetime_orders from marts.dim_customers "
        "order by customer_id",
    )
    assert people == [("c1", True, 1), ("c2", False, 1)]


def test_a_crm_snapshot_delivered_after_the_run_date_still_counts(warehouse: Path) -> None:
    """Regression: staging filtered snapshots by delivery date, so a shop whose only CRM
    export came later than the run date got empty marts and green tests."""
    [(first_name,)] = _rows(
        warehouse, "select first_name from marts.dim_customers where customer_id = 'c1'"
    )
    assert first_name == "Ann"


def test_every_delivered_order_and_line_is_accounted_for(warehouse: Path) -> None:
    outcomes = _rows(
        warehouse,
        "select record_type, order_id, line_number, outcome, reason "
        "from marts.order_reconciliation order by record_type, order_id, line_number",
    )
    assert outcomes == [
        ("line", "o1", 1, "in_marts", None),
        ("line", "o2", 1, "in_marts", None),
        ("line", "pos-t1", 1, "excluded", "order left out: anonymous store purchase"),
        ("order", "o1", None, "in_marts", None),
        ("order", "o2", None, "in_marts", None),
        ("order", "o3", None, "excluded", "placed after run_date"),
        ("order", "pos-t1", None, "excluded", "anonymous store purchase"),
    ]


def test_a_unit_price_with_fractions_of_a_cent_keeps_the_line_total(warehouse: Path) -> None:
    """Regression: unit prices were rounded to the cent before the multiplication."""
    [(line_revenue,)] = _rows(
        warehouse, "select line_revenue from marts.fct_order_items where order_id = 'o1'"
    )
    assert float(line_revenue) == 20.00
