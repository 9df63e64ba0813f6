"""Every CSV record loaded or rejected with its physical line, or the file fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.load import load_landing
from warehouse.load.csv_records import physical_lines, reread

from .support import ORDERS_HEADER, query, write


def _orders(first: int, last: int) -> str:
    return "".join(f"o{i},c{i},2026-03-01T10:00:00Z,web,{i},placed\n" for i in range(first, last))


@pytest.mark.parametrize("name", ["orders.csv", "orders.csv.gz"])
def test_an_unterminated_quote_near_the_end_loses_no_record(
    landing: Path, db: Path, name: str
) -> None:
    """Regression: an unterminated quote near the end of a CSV (plain or gzipped) dropped
    the remaining records silently: status loaded, no reject, balanced counts."""
    write(
        landing,
        f"shop/2026-03-01/{name}",
        f"{ORDERS_HEADER}\n{_orders(1, 31)}"
        'o31,c31,2026-03-01T10:00:00Z,web,"31,placed\n'  # line 32
        f"{_orders(32, 35)}",
    )
    [result] = load_landing(landing, db).results
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded",
        34,
        33,
        1,
    )
    [(line, reason, raw)] = query(db, "select line, reason, raw_text from raw._rejects")
    assert line == 32 and "unterminated quote" in reason and raw.startswith("o31,")
    assert query(
        db,
        "select order_id, _row_number from raw.shop__orders "
        "where order_id in ('o32', 'o33', 'o34') order by 2",
    ) == [("o32", 32), ("o33", 33), ("o34", 34)]


def test_a_stray_quote_closed_by_a_later_one_costs_only_its_records(
    landing: Path, db: Path
) -> None:
    """Regression: an unterminated quote closed by a later quote swallowed the records
    between into one reject and shifted ``_row_number`` of the rows after it."""
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER}\n{_orders(1, 11)}"
        'o11,c11,2026-03-01T10:00:00Z,web,"11,placed\n'  # line 12, opens a quote
        f"{_orders(12, 17)}"
        'o17,c17,"2026-03-01T10:00:00Z,web,17,placed\n'  # line 18, closes it badly
        f"{_orders(18, 40)}",
    )
    [result] = load_landing(landing, db).results
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (39, 37, 2)
    rejects = query(db, "select line, reason from raw._rejects order by line")
    assert [r[0] for r in rejects] == [12, 18]
    assert all("quote" in r[1] for r in rejects)
    numbers = dict(query(db, "select order_id, _row_number from raw.shop__orders"))
    assert {k: numbers[k] for k in ("o10", "o12", "o16", "o18", "o39")} == {
        "o10": 10,
        "o12": 12,
        "o16": 16,
        "o18": 18,
        "o39": 39,
    }


def test_reject_lines_are_physical_lines_after_quoted_newlines(landing: Path, db: Path) -> None:
    """Regression: reject line numbers were off by one per quoted newline before them."""
    write(
        landing,
        "shop/2026-03-01/orders.csv",
        f"{ORDERS_HEADER},note\n"
        'o1,c1,2026-03-01T10:00:00Z,web,1,placed,"two\nlines"\n'  # lines 2-3
        "o2,c1,never,web,1,placed,x\n"  # line 4
        'o3,c1,2026-03-01T10:00:00Z,web,1,placed,"three\r\nlines\r\nhere"\n'  # lines 5-7
        "o4,c1,2026-03-01T10:00:00Z,web,1,placed,x,surplus\n"  # line 8
        "o5,c1,2026-03-01T10:00:00Z,web,-1,placed,x\n",  # line 9
    )
    [result] = load_landing(landing, db).results
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 2, 3)
    assert query(db, "select line, column_name from raw._rejects order by line") == [
        (4, "order_ts"),
        (8, None),
        (9, "total"),
    ]


def test_blank_lines_do_not_shift_reject_lines(landing: Path, db: Path) -> None:
    write(
        landing,
        "shop/2026-03-01/orders.csv.gz",
        f"{ORDERS_HEADER}\n{_orders(1, 3)}\n\no3,c1,never,web,1,placed\n{_orders(4, 6)}\n",
    )
    [result] = load_landing(landing, db).results
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 4, 1)
    assert query(db, "select line from raw._rejects") == [(6,)]


def test_physical_lines_and_the_careful_reread(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b'a,b\n1,"x\r\ny"\n2,ok\n3,"never\n4,z')
    assert physical_lines(path) == 6
    parsed = reread(path, 2)
    assert parsed.records == [(1, 2, ["1", "x\r\ny"]), (2, 4, ["2", "ok"]), (4, 6, ["4", "z"])]
    assert [(n, line) for n, line, _, _ in parsed.rejects] == [(3, 5)]
