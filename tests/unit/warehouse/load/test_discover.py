"""Discovery: which files under the landing folder are extracts, and of what."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from warehouse.load.discover import discover, split_extension

from .support import write


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
