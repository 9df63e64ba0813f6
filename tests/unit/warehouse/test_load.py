"""The loader against hand-made landing folders: accounting, idempotency, bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.contract import ENTITIES
from warehouse.load import load_landing, main

ORDERS_HEADER = "order_id,customer_id,order_ts,channel,total,status"


def write(landing: Path, rel: str, text: str | bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    if rel.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set timezone = 'UTC'")
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


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


def test_valid_rows_load_with_metadata_and_utc_timestamps(landing: Path, db: Path) -> None:
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\no1,c1,2026-03-01T10:00:00+02:00,web,10.5,placed\n"
        "o2,c2,2026-03-01T23:30:00-05:00,app,3,delivered\n",
    )
    summary = load_landing(landing, db)
    assert [r.status for r in summary.results] == ["loaded"]
    rows = query(
        db,
        "select order_id, strftime(order_ts, '%Y-%m-%d %H:%M'), total, _file, _extract_date, "
        "_row_number from raw.shop__orders order by order_id",
    )
    assert rows[0][:3] == ("o1", "2026-03-01 08:00", 10.5)
    assert rows[1][:3] == ("o2", "2026-03-02 04:30", 3.0)
    assert rows[0][3] == "shop/2026-03-01/orders.csv"
    assert str(rows[0][4]) == "2026-03-01"
    assert [r[5] for r in rows] == [1, 2]


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


def test_loading_twice_changes_nothing(landing: Path, db: Path) -> None:
    write(
        landing, "shop/2026-03-01/orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\n"
    )
    write(
        landing,
        "crm/2026-03-01/customers.csv",
        "customer_id,created_at,updated_at\nc1,2026-01-01,2026-01-01\n",
    )
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


def test_tolerates_what_real_exports_do(landing: Path, db: Path) -> None:
    text = (
        "\ufeffORDER_ID,Customer_Id,ORDER_TS,channel,TOTAL,Status,warehouse_note\r\n"
        'o1,c1,2026-03-01T10:00:00Z,web,1,placed,"a note, with a comma"\r\n'
        'o2,c2,2026-03-01T10:00:00Z,web,2,placed,"two\r\nlines"\r\n'
    )
    write(landing, "shop/2026-03-01/orders.csv.gz", text)
    summary = load_landing(landing, db)
    assert summary.results[0].rows_loaded == 2, summary.results[0]
    rows = query(
        db, "select order_id, customer_id, warehouse_note from raw.shop__orders order by 1"
    )
    assert rows == [("o1", "c1", "a note, with a comma"), ("o2", "c2", "two\r\nlines")]


def test_json_lines_and_parquet(landing: Path, db: Path) -> None:
    events = [
        {
            "messageId": "m1",
            "type": "track",
            "event": "Product Viewed",
            "anonymousId": "a1",
            "timestamp": "2026-03-01T10:00:00+01:00",
            "properties": {"product_id": "p1"},
        },
        {
            "messageId": "m2",
            "type": "identify",
            "anonymousId": "a1",
            "userId": "c1",
            "timestamp": "2026-03-01T10:01:00Z",
            "traits": {"email": "A@x.com"},
        },
    ]
    lines = [json.dumps(e) for e in events] + ['{"messageId": "m3", "type": "tr', ""]
    lines += [json.dumps({**events[0], "messageId": f"m{i}"}) for i in range(10, 40)]
    write(landing, "web/2026-03-01/events.jsonl.gz", "\n".join(lines) + "\n")
    path = landing / "pos/2026-03-01/transactions.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "transaction_id": ["t1", "t1"],
                "line_number": [1, 2],
                "store_id": ["s1", "s1"],
                "loyalty_id": ["L1", "L1"],
                "transaction_ts": ["2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z"],
                "product_id": ["p1", "p2"],
                "quantity": [1, 2],
                "unit_price": [1.5, 2.5],
            }
        ),
        path,
    )
    summary = load_landing(landing, db)
    assert not summary.failed
    ev = query(
        db,
        "select messageId, anonymousId, userId, properties->>'product_id', traits->>'email', "
        "_row_number from raw.web__events order by _row_number",
    )
    assert ev[:2] == [("m1", "a1", None, "p1", None, 1), ("m2", "a1", "c1", None, "A@x.com", 2)]
    assert len(ev) == 32
    assert query(db, "select line, reason from raw._rejects") == [(3, "broken JSON line")]
    assert query(
        db, "select rows_read, rows_loaded, rows_rejected from raw._loads where entity='events'"
    ) == [(33, 32, 1)]
    assert query(db, "select sum(quantity * unit_price) from raw.pos__transactions") == [(6.5,)]


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
    write(
        landing,
        "crm/2026-03-01/customers.csv",
        "customer_id,created_at,updated_at\nc1,2026-01-01,2026-01-01\n",
    )
    summary = load_landing(landing, db)
    failed = summary.failed
    assert len(failed) == 1 and failed[0].file == rel
    assert message in failed[0].error
    assert [r.file for r in summary.loaded] == ["crm/2026-03-01/customers.csv"]
    assert query(db, "select count(*) from raw.shop__orders") == [(0,)]
    assert query(db, "select status, error from raw._loads where file = ?", [rel]) == [
        ("failed", failed[0].error)
    ]


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


def test_header_only_file_loads_zero_rows(landing: Path, db: Path) -> None:
    write(landing, "shop/2026-03-01/orders.csv", ORDERS_HEADER + "\n")
    summary = load_landing(landing, db)
    assert [(r.status, r.rows_read) for r in summary.results] == [("loaded", 0)]


def test_cli_exit_status_says_a_file_failed(landing: Path, db: Path, capsys) -> None:
    write(landing, "shop/2026-03-01/orders.csv", "order_id\no1\n")
    write(landing, "shop/2026-03-01/notes.txt", "not an extract")
    code = main(["--landing-dir", str(landing), "--duckdb-path", str(db)])
    err = capsys.readouterr().err
    assert code == 1
    assert "shop/2026-03-01/orders.csv" in err and "missing required column" in err
    write(
        landing, "shop/2026-03-01/orders.csv", f"{ORDERS_HEADER}\no1,c1,2026-03-01,web,1,placed\n"
    )
    assert main(["--landing-dir", str(landing), "--duckdb-path", str(db)]) == 0


def test_failed_file_is_reported_again_until_fixed(landing: Path, db: Path) -> None:
    write(landing, "shop/2026-03-01/orders.csv", "order_id\no1\n")
    assert len(load_landing(landing, db).failed) == 1
    assert len(load_landing(landing, db).failed) == 1
    assert query(db, "select count(*) from raw._loads") == [(1,)]


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
