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


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A warehouse holding ml.scores as its owner (dbt, in the pipeline) creates it."""
    path = tmp_path / "w.duckdb"
    with db.connect(path) as con:
        con.execute("create schema ml")
        con.execute("create table ml.scores (run_date date, person_id varchar, score float)")
    return path


def test_replace_partition_replaces_only_its_key(path: Path) -> None:
    assert db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a", "b"]), path) == 2
    db.replace_partition("ml.scores", "run_date", D2, rows(D2, ["c"]), path)
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["x"]), path)
    got = db.read_arrow("select run_date, person_id from ml.scores order by all", path=path)
    assert got.to_pylist() == [
        {"run_date": D1, "person_id": "x"},
        {"run_date": D2, "person_id": "c"},
    ]


def test_columns_are_matched_by_name(path: Path) -> None:
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]), path)
    swapped = rows(D1, ["b"]).select(["score", "person_id", "run_date"])
    db.replace_partition("ml.scores", "run_date", D1, swapped, path)
    assert db.read_arrow("select person_id from ml.scores", path=path).column(0).to_pylist() == [
        "b"
    ]


def test_values_take_the_types_of_the_table(path: Path) -> None:
    """The table's types win over the incoming ones: an int64 score lands as FLOAT and
    the table's schema is left as it was."""
    incoming = pa.table({"run_date": [D1], "person_id": ["a"], "score": pa.array([3], pa.int64())})
    db.replace_partition("ml.scores", "run_date", D1, incoming, path)
    got = db.read_arrow("select score from ml.scores", path=path)
    assert got.schema.field("score").type == pa.float32()
    assert got.column(0).to_pylist() == [3.0]


def test_a_missing_table_is_not_created(tmp_path: Path) -> None:
    """Regression: the writer used to create tables from the data's own schema."""
    path = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="does not exist"):
        db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]), path)
    with db.connect(path, read_only=True) as con:
        tables = con.execute("select count(*) from information_schema.tables").fetchone()[0]
    assert tables == 0


def test_a_missing_or_extra_column_is_refused_by_name(path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing \['score'\], not in the table none"):
        db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]).drop(["score"]), path)
    extra = rows(D1, ["a"]).append_column("rank", pa.array([1]))
    with pytest.raises(ValueError, match=r"missing none, not in the table \['rank'\]"):
        db.replace_partition("ml.scores", "run_date", D1, extra, path)
    assert db.read_arrow("select count(*) as n from ml.scores", path=path)["n"][0].as_py() == 0


def test_rows_of_another_key_are_refused_and_nothing_changes(path: Path) -> None:
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]), path)
    with pytest.raises(ValueError, match="not in run_date"):
        db.replace_partition("ml.scores", "run_date", D1, rows(D2, ["b"]), path)
    assert db.read_arrow("select count(*) as n from ml.scores", path=path)["n"][0].as_py() == 1


def test_a_failed_insert_rolls_back_the_delete(path: Path) -> None:
    db.replace_partition("ml.scores", "run_date", D1, rows(D1, ["a"]), path)
    bad = pa.table({"run_date": [D1], "person_id": ["b"], "score": ["not a number"]})
    with pytest.raises(ValueError, match="does not cast to the types of ml.scores"):
        db.replace_partition("ml.scores", "run_date", D1, bad, path)
    assert db.read_arrow("select person_id from ml.scores", path=path).column(0).to_pylist() == [
        "a"
    ]


def test_read_arrow_takes_parameters_and_holds_no_lock(path: Path) -> None:
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


def test_replace_rows_keys_on_every_column_and_empty_data_deletes(path: Path) -> None:
    """Two writers sharing a run date (one row per model) must not erase each other."""
    db.replace_rows("ml.scores", {"run_date": D1, "person_id": "a"}, rows(D1, ["a"]), path)
    db.replace_rows("ml.scores", {"run_date": D1, "person_id": "b"}, rows(D1, ["b"]), path)
    db.replace_rows("ml.scores", {"run_date": D1, "person_id": "a"}, rows(D1, ["a"]), path)
    got = db.read_arrow("select person_id from ml.scores order by all", path=path)
    assert got.column(0).to_pylist() == ["a", "b"]
    with pytest.raises(ValueError, match="not in run_date = 2026-01-01, person_id = a"):
        db.replace_rows("ml.scores", {"run_date": D1, "person_id": "a"}, rows(D1, ["c"]), path)
    assert db.replace_rows("ml.scores", {"run_date": D1, "person_id": "a"}, rows(D1, []), path) == 0
    got = db.read_arrow("select person_id from ml.scores order by all", path=path)
    assert got.column(0).to_pylist() == ["b"]
