"""Membership history over real nights of dbt: snapshots dated by run date, planted
segment moves counted in history.segment_transitions, backfills and re-runs that leave
the history as it should be.

Each test copies the built sample warehouse (marts as of END) and runs the night's
audiences phase (audiences, snapshots, transitions: pipeline.dbt.DBT_PHASES) for a
sequence of run dates, planting changes in the marts and ml tables between nights.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipeline.dbt import DBT_PHASES
from tests.integration.conftest import END, dbt
from warehouse import db

pytestmark = pytest.mark.integration

NIGHT_1 = END - dt.timedelta(days=1)
NIGHT_2 = END
HISTORY_TABLES = (
    "rule_segment_history",
    "rfm_segment_history",
    "model_segment_history",
    "audience_membership_history",
)


def _night(db_path: Path, run_date: dt.date) -> str:
    """The audiences phase of one night; its dbt output."""
    return dbt(["build", *DBT_PHASES["audiences"]], db_path, run_date).stdout


def _rows(db_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _history(db_path: Path) -> dict[str, list[tuple]]:
    return {t: _rows(db_path, f"from history.{t} order by all") for t in HISTORY_TABLES}


def _copy(two_nights: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(two_nights[0], copy)
    return copy


def _plant_model_segments(
    db_path: Path, run_date: dt.date, people: list[str], ids: list[int]
) -> None:
    table = pa.table(
        {
            "run_date": [run_date] * len(people),
            "person_id": people,
            "segment_id": ids,
            "segment_name": [f"segment {i}" for i in ids],
            "distance": [0.5] * len(people),
            "model_version": ["1"] * len(people),
        }
    )
    db.replace_partition("ml.customer_segments", "run_date", run_date, table, db_path)


@pytest.fixture(scope="module")
def two_nights(built_warehouse: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """Night 1 as built; before night 2 one person moves from their rule segment to
    another, one person leaves the RFM population and one moves model segment. Tests
    that run a further night work on a copy (:func:`_copy`)."""
    db_path = tmp_path_factory.mktemp("history") / "warehouse.duckdb"
    shutil.copy(built_warehouse, db_path)
    mover, leaver, other = (
        row[0]
        for row in _rows(
            db_path,
            "select person_id from marts.customer_rfm"
            " where person_id in (select person_id from marts.customer_segments_rules"
            " where primary_segment = 'active') order by person_id limit 3",
        )
    )
    _plant_model_segments(db_path, NIGHT_1, [mover, other], [1, 2])
    first = _night(db_path, NIGHT_1)
    with duckdb.connect(str(db_path)) as con:
        con.execute(
            "update marts.customer_segments_rules set primary_segment = 'at_risk'"
            " where person_id = ?",
            [mover],
        )
        con.execute("delete from marts.customer_rfm where person_id = ?", [leaver])
    _plant_model_segments(db_path, NIGHT_2, [mover, other], [3, 2])
    _night(db_path, NIGHT_2)
    return db_path, {"mover": mover, "leaver": leaver, "other": other, "first_log": first}


def test_a_planted_move_is_one_transition_on_the_night_it_happened(two_nights) -> None:
    db_path, people = two_nights
    moves = _rows(
        db_path,
        "select kind, from_segment, to_segment, person_count from history.segment_transitions"
        f" where run_date = '{NIGHT_2}' order by all",
    )
    assert moves == [
        ("model_segment", "segment 1", "segment 3", 1),
        (
            "rfm",
            _rows(
                db_path,
                "select rfm_segment from history.rfm_segment_history"
                f" where person_id = '{people['leaver']}'",
            )[0][0],
            None,
            1,
        ),
        ("segment", "active", "at_risk", 1),
    ]
    # The first night: everyone enters, as many as the population.
    entered = _rows(
        db_path,
        "select kind, sum(person_count) from history.segment_transitions"
        f" where run_date = '{NIGHT_1}' and from_segment is null group by kind order by kind",
    )
    population = _rows(
        db_path,
        "select (select count(*) from marts.customer_rfm) + 1,"
        " (select count(*) from marts.customer_segments_rules)",
    )[0]
    assert entered == [("model_segment", 2), ("rfm", population[0]), ("segment", population[1])]


def test_the_history_is_dated_by_the_run_date(two_nights) -> None:
    db_path, people = two_nights
    stretches = _rows(
        db_path,
        "select primary_segment, run_date, dbt_valid_from, dbt_valid_to"
        f" from history.rule_segment_history where person_id = '{people['mover']}'"
        " order by dbt_valid_from",
    )
    assert stretches == [("active", NIGHT_1, NIGHT_1, NIGHT_2), ("at_risk", NIGHT_2, NIGHT_2, None)]
    left = _rows(
        db_path,
        "select dbt_valid_from, dbt_valid_to from history.rfm_segment_history"
        f" where person_id = '{people['leaver']}'",
    )
    assert left == [(NIGHT_1, NIGHT_2)]
    unchanged = _rows(
        db_path,
        f"select count(*) from history.rule_segment_history where person_id = '{people['other']}'",
    )
    assert unchanged == [(1,)]
    members = _rows(
        db_path,
        "select count(*) from audiences.membership",
    )[0][0]
    current = _rows(
        db_path,
        "select count(*) from history.audience_membership_history where dbt_valid_to is null",
    )[0][0]
    assert members > 0 and current == members


def test_a_backfill_records_nothing_and_says_so(two_nights, tmp_path: Path) -> None:
    db_path = _copy(two_nights, tmp_path)
    before = _history(db_path)
    output = _night(db_path, NIGHT_1 - dt.timedelta(days=5))
    assert _history(db_path) == before
    assert "a backfill leaves the history as it is" in output


def test_a_rerun_of_the_latest_night_replaces_what_it_recorded(two_nights, tmp_path: Path) -> None:
    db_path, people = _copy(two_nights, tmp_path), two_nights[1]
    with duckdb.connect(str(db_path)) as con:
        con.execute(
            "update marts.customer_segments_rules set primary_segment = 'active'"
            " where person_id = ?",
            [people["mover"]],
        )
    _night(db_path, NIGHT_2)
    stretches = _rows(
        db_path,
        "select primary_segment, dbt_valid_from, dbt_valid_to from history.rule_segment_history"
        f" where person_id = '{people['mover']}'",
    )
    assert stretches == [("active", NIGHT_1, None)]
    moves = _rows(
        db_path,
        "select kind, from_segment, to_segment from history.segment_transitions"
        f" where run_date = '{NIGHT_2}' and kind = 'segment'",
    )
    assert moves == []


def test_a_night_the_model_did_not_score_closes_nobody(two_nights, tmp_path: Path) -> None:
    db_path = _copy(two_nights, tmp_path)
    before = _rows(db_path, "from history.model_segment_history order by all")
    output = _night(db_path, NIGHT_2 + dt.timedelta(days=1))
    assert _rows(db_path, "from history.model_segment_history order by all") == before
    assert "has no row for" in output
