"""Discovery: which files under the landing folder are extracts, and of what."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from warehouse.load import load_landing
from warehouse.load.discover import discover, split_extension

from .support import ORDERS_HEADER, query, write


def test_contract_files_are_found_in_order_and_the_rest_ignored(landing: Path) -> None:
    write(landing, "shop/2026-03-02/orders.csv.gz", "x")
    write(landing, "shop/2026-03-01/orders.csv", "x")
    write(landing, "web/2026-03-01/events.jsonl", "x")
    write(landing, "shop/2026-03-01/returns.csv", "x")
    write(landing, "shop/2026-03-01/notes.txt", "x")
    write(landing, "_truth/2026-03-01/orders.csv", "x")
    write(landing, "shop/.tmp/orders.csv", "x")
    files, ignored = discover(landing)
    assert [(f.relpath, f.entity.key, f.reader, f.extract_date) for f in files] == [
        ("shop/2026-03-01/orders.csv", "shop/orders", "csv", dt.date(2026, 3, 1)),
        ("shop/2026-03-02/orders.csv.gz", "shop/orders", "csv", dt.date(2026, 3, 2)),
        ("web/2026-03-01/events.jsonl", "web/events", "jsonl", dt.date(2026, 3, 1)),
    ]
    assert ignored == ["shop/2026-03-01/notes.txt", "shop/2026-03-01/returns.csv"]


def test_a_folder_that_is_not_a_date_has_no_extract_date(landing: Path) -> None:
    write(landing, "shop/latest/orders.csv", "x")
    files, _ = discover(landing)
    assert [(f.relpath, f.extract_date) for f in files] == [("shop/latest/orders.csv", None)]


def test_the_longest_extension_wins() -> None:
    assert split_extension("orders.CSV.GZ") == ("csv", "orders")
    assert split_extension("events.jsonl.gz") == ("jsonl", "events")
    assert split_extension("orders.xlsx") == (None, "orders.xlsx")


@pytest.mark.parametrize("folder", ["20260401", "2026-W14-3", "2026-02-30", "2026-4-1"])
def test_extract_date_folder_must_be_an_exact_calendar_date(
    landing: Path, db: Path, folder: str
) -> None:
    """Regression: ``20260401`` and ``2026-W14-3`` were read as 2026-04-01."""
    write(landing, f"shop/{folder}/orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-04-01,web,1,placed\n")
    summary = load_landing(landing, db)
    assert [r.status for r in summary.results] == ["failed"]
    assert folder in summary.results[0].error and "YYYY-MM-DD" in summary.results[0].error
    assert query(db, "select count(*) from raw.shop__orders") == [(0,)]


def test_symlinks_and_paths_outside_the_landing_folder_are_refused(
    tmp_path: Path, landing: Path, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: a link was followed wherever it pointed; a link to a non-CSV file put
    its first line into ``raw._loads.error`` and the log."""
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:TOP-SECRET-LINE\n")
    outside = tmp_path / "elsewhere"
    write(outside, "orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\n")
    (landing / "shop/2026-03-01").mkdir(parents=True)
    (landing / "shop/2026-03-01/orders.csv").symlink_to(secret)
    (landing / "crm/2026-03-01").mkdir(parents=True)
    (landing / "crm/2026-03-01/customers.csv").symlink_to(outside / "orders.csv")
    (landing / "shop/2026-03-02").symlink_to(outside, target_is_directory=True)
    write(
        landing, "shop/2026-03-03/orders.csv", f"{ORDERS_HEADER}\no3,c1,2026-03-03,web,1,placed\n"
    )
    with caplog.at_level(logging.INFO):
        summary = load_landing(landing, db)
    status = {r.file: (r.status, r.error) for r in summary.results}
    assert status["shop/2026-03-03/orders.csv"] == ("loaded", None)
    refused = {f: e for f, (s, e) in status.items() if s == "failed"}
    assert set(refused) == {
        "crm/2026-03-01/customers.csv",
        "shop/2026-03-01/orders.csv",
        "shop/2026-03-02/orders.csv",
    }
    assert all("outside the landing folder" in e or "symbolic link" in e for e in refused.values())
    errors = " ".join(
        r[0] for r in query(db, "select error from raw._loads where error is not null")
    )
    assert "TOP-SECRET" not in errors and "TOP-SECRET" not in caplog.text
    assert query(db, "select order_id from raw.shop__orders") == [("o3",)]
    assert query(db, "select count(*) from raw.crm__customers") == [(0,)]
