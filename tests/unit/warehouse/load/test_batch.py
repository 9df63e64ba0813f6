"""Batches: files read together keep per-file accounting, and an unusable file fails alone."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from warehouse.load import load_landing

from .support import CUSTOMERS, ORDERS_HEADER, query, write


@pytest.mark.parametrize(
    ("rel", "content", "message"),
    [
        (
            "shop/2026-03-01/orders.csv",
            "order_id,order_ts,total,status\no1,2026-03-01,1,placed\n",
            "missing required column(s) customer_id",
        ),
        ("shop/2026-03-01/orders.csv", "", "empty file with no header"),
        ("shop/2026-03-01/orders.csv.gz", b"\x1f\x8b\x08\x00garbage", "unreadable"),
        (
            "shop/latest/orders.csv",
            f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\n",
            "not in an extract-date folder",
        ),
        (
            "shop/2026-03-01/orders.csv",
            f"{ORDERS_HEADER}\n"
            + "o1,c1,2026-03-01,web,1,placed\n" * 90
            + "o2,c1,bad,web,1,placed\n" * 10,
            "10 of 100 rows rejected (10.0% > 5.0%)",
        ),
    ],
    ids=["missing-required-column", "empty", "corrupt-gzip", "no-date-folder", "reject-rate"],
)
def test_unusable_file_fails_alone(
    landing: Path, db: Path, rel: str, content: str | bytes, message: str
) -> None:
    bad = landing / rel
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(content.encode() if isinstance(content, str) else content)
    write(landing, "crm/2026-03-01/customers.csv", CUSTOMERS)
    summary = load_landing(landing, db)
    failed = summary.failed
    assert len(failed) == 1 and failed[0].file == rel
    assert message in failed[0].error
    assert [r.file for r in summary.loaded] == ["crm/2026-03-01/customers.csv"]
    assert query(db, "select count(*) from raw.shop__orders") == [(0,)]
    assert query(db, "select status, error from raw._loads where file = ?", [rel]) == [
        ("failed", failed[0].error)
    ]


def _many_days(landing: Path) -> None:
    """A week of daily orders and events with rejects in several files, one day that
    fails its reject rate and one corrupt gzip, all of one entity each."""
    for day in range(1, 8):
        rel = f"shop/2026-03-0{day}/orders.csv.gz"
        rows = [f"o{day}-{i},c{i},2026-03-0{day}T10:00:00Z,web,{i},placed" for i in range(50)]
        if day in (2, 5):
            rows[3] = f"bad{day},c1,2026-03-0{day}T10:00:00Z,web,{day},placed,surplus"
            rows[20] = f"o{day}-x,c1,never,web,1,placed"
        if day == 4:
            rows = rows[:40] + [f"z{i},c1,later,web,1,placed" for i in range(10)]
        write(landing, rel, ORDERS_HEADER + "\n" + "\n".join(rows) + "\n")
        events = [
            json.dumps({"messageId": f"m{day}-{i}", "type": "page", "anonymousId": "a",
                        "timestamp": f"2026-03-0{day}T10:00:00Z"})
            for i in range(30)
        ]  # fmt: skip
        if day in (3, 6):
            events[day] = '{"messageId": "cut'
        write(landing, f"web/2026-03-0{day}/events.jsonl.gz", "\n".join(events) + "\n")
    (landing / "shop/2026-03-08").mkdir()
    (landing / "shop/2026-03-08/orders.csv.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    # Cut short: the header reads, the body does not.
    body = "".join(
        f"t{i},c{i * 7919 % 1000},2026-03-09T10:00:00Z,web,{i},placed\n" for i in range(5000)
    )
    data = gzip.compress(f"{ORDERS_HEADER}\n{body}".encode(), mtime=0)
    (landing / "shop/2026-03-09").mkdir()
    (landing / "shop/2026-03-09/orders.csv.gz").write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("batch_bytes", [1, 1 << 30], ids=["file-by-file", "one-batch"])
def test_files_read_together_account_per_file(landing: Path, db: Path, batch_bytes: int) -> None:
    _many_days(landing)
    summary = load_landing(landing, db, batch_bytes=batch_bytes)
    assert {r.file: r.error.split(":")[0] for r in summary.failed} == {
        "shop/2026-03-04/orders.csv.gz": "10 of 50 rows rejected (20.0% > 5.0%)",
        "shop/2026-03-08/orders.csv.gz": "unreadable",
        "shop/2026-03-09/orders.csv.gz": "unreadable",
    }
    assert len(summary.loaded) == 13
    # Nothing of a failed file is loaded; line numbers count within each file.
    assert query(
        db, "select count(*) from raw.shop__orders where _file similar to '.*03-0[489].*'"
    ) == [(0,)]
    assert query(db, "select file, line, column_name from raw._rejects order by file, line") == [
        ("shop/2026-03-02/orders.csv.gz", 5, None),
        ("shop/2026-03-02/orders.csv.gz", 22, "order_ts"),
        ("shop/2026-03-05/orders.csv.gz", 5, None),
        ("shop/2026-03-05/orders.csv.gz", 22, "order_ts"),
        ("web/2026-03-03/events.jsonl.gz", 4, None),
        ("web/2026-03-06/events.jsonl.gz", 7, None),
    ]
    # The record after a malformed one keeps its record number in its own file.
    assert query(
        db,
        "select _file, _row_number from raw.shop__orders "
        "where order_id in ('o5-4', 'o6-4') order by 1",
    ) == [("shop/2026-03-05/orders.csv.gz", 5), ("shop/2026-03-06/orders.csv.gz", 5)]
    assert query(
        db,
        "select _file, min(_row_number), max(_row_number), count(*) from raw.web__events "
        "group by 1 order by 1",
    ) == [(f"web/2026-03-0{d}/events.jsonl.gz", 1, 30, 29 if d in (3, 6) else 30)
          for d in range(1, 8)]  # fmt: skip
    assert query(
        db,
        "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from raw._loads "
        "where status = 'loaded'",
    ) == [(6 * 50 + 7 * 30, 6 * 50 - 4 + 7 * 30 - 2, 6)]
