"""The warehouse interface: Arrow in and out, one partition replaced atomically."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from warehouse import db

D1, D2 = dt.date(2026, 1, 1), dt.date(2026, 1, 2)


def rows(run_date: dt.date, people: list[str]) -> pa.Table:
    return pa.table(
        {
            "run_date": [run_date] * len(people),
            "person_id": people,
            "score": [float(i) for i in range(len(people))],
        }
    )


def test_replace_partition_creates_the_table_and_replaces_only_its_key(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    assert db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a", "b"]), path) == 2
    db.replace_partition("ml.scores", "run_date", D2, rows(D2, ["c"]), path)
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["x"]), path)
    got = db.read_arrow("select run_date, person_id from ml.scores order by all", path=path)
    assert got.to_pylist() == [
        {"run_date": D1, "person_id": "x"},
        {"run_date": D2, "person_id": "c"},
    ]


def test_columns_are_matched_by_name(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]), path)
    swapped = rows(D1, ["b"]).select(["score", "person_id", "run_date"])
    db.replace_partition("ml.scores", "run_date", D1, swapped, path)
    assert db.read_arrow("select person_id from ml.scores", path=path).column(0).to_pylist() == [
        "b"
    ]


def test_rows_of_another_key_are_refused_and_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]), path)
    with pytest.raises(ValueError, match="not in run_date"):
        db.replace_partition("ml.scores", "run_date", D1, rows(D2, ["b"]), path)
    assert db.read_arrow("select count(*) as n from ml.scores", path=path)["n"][0].as_py() == 1


def test_a_failed_insert_rolls_back_the_delete(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]), path)
    bad = pa.table({"run_date": [D1], "person_id": ["b"], "score": ["not a number"]})
    with pytest.raises(Exception):  # noqa: B017 (DuckDB's conversion error)
        db.replace_partition("ml.scores", "run_date", D1, bad, path)
    assert db.read_arrow("select person_id from ml.scores", path=path).column(0).to_pylist() == [
        "a"
    ]


def test_read_arrow_takes_parameters_and_holds_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a", "b"]), path)
    got = db.read_arrow("select person_id from ml.scores where person_id = $p", {"p": "b"}, path)
    assert got.column(0).to_pylist() == ["b"]
    # A writer can open the file right after: no connection was kept.
    with db.connect(path) as con:
        con.execute("delete from ml.scores")


def test_bad_table_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        db.replace_partition("scores; drop", "run_date", D1, rows(D1, ["a"]), tmp_path / "w.db")


def test_connections_keep_the_configured_memory_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PZ_DUCKDB_MEMORY_LIMIT", "1GB")
    with db.connect(tmp_path / "w.duckdb") as con:
        limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "") in {"1GB", "953.6MiB"}
