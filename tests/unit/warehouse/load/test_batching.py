"""Batch planning: files grouped by entity and layout, cut to size, in discovery order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from warehouse.contract import entity
from warehouse.load.batching import Pending, plan_batches
from warehouse.load.discover import ExtractFile


def _pending(name: str, size: int, names: tuple[str, ...] = ("a",)) -> Pending:
    path = Path("/landing/shop/2026-03-01") / name
    f = ExtractFile(path, name, entity("shop", "orders"), dt.date(2026, 3, 1), "csv")
    return Pending(f, "sha", size, names)


def test_batches_group_by_layout_and_respect_the_size() -> None:
    a, b, c = _pending("a.csv", 40), _pending("b.csv", 40), _pending("c.csv", 40)
    other = _pending("d.csv", 10, names=("a", "b"))
    gz = _pending("e.csv.gz", 10)
    batches = plan_batches([a, other, b, c, gz], max_bytes=100)
    assert [[p.file.relpath for p in batch] for batch in batches] == [
        ["a.csv", "b.csv"],
        ["c.csv"],
        ["d.csv"],
        ["e.csv.gz"],
    ]
    assert gz.text_bytes == 60
