"""The generator's planted lift: who gets an order, where it is written, what is recorded."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.synthetic.plant import plant_lift


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """A landing folder with a catalogue, one earlier order, and a night's export."""
    landing = tmp_path / "landing"
    (landing / "shop" / "2026-03-01").mkdir(parents=True)
    (landing / "shop" / "2026-03-01" / "products.csv").write_text(
        "product_id,name,category,price,is_active\nP1,Old,shoes,10,false\nP2,New,shoes,12,true\n"
    )
    (landing / "shop" / "2026-03-02").mkdir()
    (landing / "shop" / "2026-03-02" / "orders.csv").write_text(
        "order_id,customer_id,order_ts,channel,currency,subtotal,discount,shipping,total,"
        "status,updated_at\nO1,C0,2026-03-02T09:00:00Z,web,EUR,5,0,0,5,placed,"
        "2026-03-02T09:00:00Z"
    )
    exports = tmp_path / "exports" / "2026-03-01"
    exports.mkdir(parents=True)
    customers = [f"C{i:04d}" for i in range(1000)]
    pq.write_table(
        pa.table({"person_id": [f"p{i}" for i in range(1000)], "customer_id": customers}),
        exports / "shoppers.parquet",
    )
    return landing


def test_treated_members_get_the_planted_orders_in_the_days_after_the_night(
    landing: Path, tmp_path: Path
) -> None:
    summary = plant_lift(
        landing, tmp_path / "exports", "2026-03-01", "shoppers", share=0.3, order_total=80, days=3
    )
    assert 250 < summary["planted_orders"] < 350
    assert summary["expected_revenue_diff_per_person"] == pytest.approx(24.0)
    assert summary["order_dates"] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    orders, lines = [], []
    for day in summary["order_dates"]:
        folder = landing / "shop" / day
        with (folder / "orders.csv").open(newline="") as fh:
            orders += list(csv.DictReader(fh))
        with gzip.open(folder / "order_items.csv.gz", "rt", newline="") as fh:
            lines += list(csv.DictReader(fh))
    planted = [o for o in orders if o["order_id"].startswith("L")]
    assert len(planted) == summary["planted_orders"] == len(lines)
    assert any(o["order_id"] == "O1" for o in orders), "the delivered order is kept"
    assert {o["total"] for o in planted} == {"80.00"}
    assert {line["product_id"] for line in lines} == {"P2"}
    assert len({o["customer_id"] for o in planted}) == len(planted)
    truth = landing / "_truth" / "planted_lift_2026-03-01_shoppers.json"
    assert json.loads(truth.read_text()) == summary


def test_the_same_arguments_plant_the_same_orders(landing: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(landing, copy)
    first = plant_lift(landing, tmp_path / "exports", "2026-03-01", "shoppers", seed=7)
    second = plant_lift(copy, tmp_path / "exports", "2026-03-01", "shoppers", seed=7)
    assert first == second
    for day in first["order_dates"]:
        assert (landing / "shop" / day / "orders.csv").read_bytes() == (
            copy / "shop" / day / "orders.csv"
        ).read_bytes()


def test_an_audience_without_customer_ids_is_refused(landing: Path, tmp_path: Path) -> None:
    pq.write_table(pa.table({"Email": ["x"]}), tmp_path / "exports" / "2026-03-01" / "ads.parquet")
    with pytest.raises(ValueError, match="customer_id"):
        plant_lift(landing, tmp_path / "exports", "2026-03-01", "ads")
    with pytest.raises(FileNotFoundError):
        plant_lift(landing, tmp_path / "exports", "2026-03-05", "shoppers")
