"""The three readers: CSV (plain, gzipped, as real exports write it), JSON lines, Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.load import load_landing

from .support import ORDERS_HEADER, query, write


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


def test_header_only_file_loads_zero_rows(landing: Path, db: Path) -> None:
    write(landing, "shop/2026-03-01/orders.csv", ORDERS_HEADER + "\n")
    summary = load_landing(landing, db)
    assert [(r.status, r.rows_read) for r in summary.results] == [("loaded", 0)]


def test_a_ten_megabyte_json_line_loads(landing: Path, db: Path) -> None:
    """Regression: a valid JSON line above 2 MB failed the whole file ("CSV Error")."""
    big = {
        "messageId": "big",
        "type": "track",
        "event": "Product Viewed",
        "anonymousId": "a1",
        "timestamp": "2026-03-01T10:00:00Z",
        "properties": {"query": "x" * 10_000_000},
    }
    small = [{**big, "messageId": f"m{i}", "properties": {}} for i in range(3)]
    write(
        landing,
        "web/2026-03-01/events.jsonl",
        "\n".join(json.dumps(e) for e in [small[0], big, *small[1:]]) + "\n",
    )
    summary = load_landing(landing, db)
    assert [(r.status, r.rows_loaded, r.rows_rejected) for r in summary.results] == [
        ("loaded", 4, 0)
    ]
    assert query(
        db, "select _row_number, length(properties->>'query') from raw.web__events "
        "where messageId = 'big'"
    ) == [(2, 10_000_000)]  # fmt: skip


@pytest.mark.parametrize("header_end", ["\r\n", "\n"], ids=["crlf-header", "lf-header"])
def test_a_quoted_field_with_a_bare_carriage_return_loads(
    landing: Path, db: Path, header_end: str
) -> None:
    """Regression: a quoted field holding a bare CR, in a file whose header ends in CRLF
    and whose records in LF (two tools wrote it), failed the whole file with DuckDB's
    "state machine" error; the file is now re-read record by record."""
    rows = "".join(f"o{i},c{i},2026-03-01T10:00:00Z,web,1,placed,plain\n" for i in range(50))
    write(
        landing,
        "shop/2026-03-01/orders.csv.gz",
        f"{ORDERS_HEADER},note{header_end}{rows}"
        'cr,c1,2026-03-01T10:00:00Z,web,1,placed,"before\rafter"\n'
        f"{rows.replace('o', 'p')}",
    )
    summary = load_landing(landing, db)
    assert [(r.status, r.rows_loaded, r.rows_rejected) for r in summary.results] == [
        ("loaded", 101, 0)
    ]
    assert query(db, "select note, _row_number from raw.shop__orders where order_id = 'cr'") == [
        ("before\rafter", 51)
    ]


def test_extra_columns_named_like_the_loaders_own_are_kept_aside(landing: Path, db: Path) -> None:
    """Regression: an extra column named ``_file`` failed the whole file ("Binder Error")."""
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER},_file,_ROW_NUMBER\n"
        "o1,c1,2026-03-01T10:00:00Z,web,1,placed,export.csv,7\n"
        "o2,c1,2026-03-01T10:00:00Z,web,1,placed,export.csv,8\n",
    )
    summary = load_landing(landing, db)
    result = summary.results[0]
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert any("_file" in w and "delivered_file" in w for w in result.warnings)
    assert query(
        db,
        "select order_id, _file, _row_number, delivered_file, delivered_row_number "
        "from raw.shop__orders order by 1",
    ) == [
        ("o1", "shop/2026-03-01/orders.csv", 1, "export.csv", "7"),
        ("o2", "shop/2026-03-01/orders.csv", 2, "export.csv", "8"),
    ]
    assert query(db, "select warnings from raw._loads")[0][0] == "; ".join(result.warnings)


def test_a_file_with_carriage_return_line_ends_loads(landing: Path, db: Path) -> None:
    """Regression: a CSV with CR-only line ends crashed the whole load while its header
    was read; it now loads like any other file."""
    write(
        landing, "shop/2026-03-01/orders.csv", f"{ORDERS_HEADER}\ro1,c1,2026-03-01,web,1,placed\r"
    )
    write(
        landing, "shop/2026-03-02/orders.csv", f"{ORDERS_HEADER}\no2,c1,2026-03-02,web,1,placed\n"
    )
    summary = load_landing(landing, db)
    assert [(r.file, r.status, r.rows_loaded) for r in summary.results] == [
        ("shop/2026-03-01/orders.csv", "loaded", 1),
        ("shop/2026-03-02/orders.csv", "loaded", 1),
    ]
    assert query(db, "select order_id, _row_number from raw.shop__orders order by 1") == [
        ("o1", 1),
        ("o2", 1),
    ]


def test_json_lines_with_crlf_and_a_raw_carriage_return_keep_their_line_numbers(
    landing: Path, db: Path
) -> None:
    """Regression: the line reader also split at carriage returns, so a CRLF file gained
    an empty line per line (every later line number drifted) and a line holding a raw CR
    became two rejects."""

    def event(i: int) -> str:
        return json.dumps({"messageId": f"m{i}", "type": "page", "anonymousId": "a",
                           "timestamp": "2026-03-01T10:00:00Z"})  # fmt: skip

    lines = [event(1), event(2), '{"messageId": "m3", "type": "pa\rge"}', event(4), event(5)]
    write(landing, "web/2026-03-01/events.jsonl.gz", "\r\n".join(lines) + "\r\n")
    [result] = load_landing(landing, db).results
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 4, 1)
    assert query(db, "select messageId, _row_number from raw.web__events order by 2") == [
        ("m1", 1),
        ("m2", 2),
        ("m4", 4),
        ("m5", 5),
    ]
    assert query(db, "select line, reason from raw._rejects") == [(3, "broken JSON line")]
