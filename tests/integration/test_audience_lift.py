"""Lift on the holdouts, through real nights of the DAG, on a planted answer.

A sample, then three nights with ``make run``'s runner (real Airflow, dbt, MLflow):
R0, R1, and D = R1 + 8 days. Between R1 and D the generator's ``--plant-lift`` option
gives each treated member of interested_shoppers exported on R1 an extra order of
100.00 with probability 0.5 in the 7 days after R1 (the control group, not exported,
gets nothing). On D the 7-day window of R1 has closed: its lift must find the planted
50.00 of revenue per person inside its interval, and the interval must exclude 0. R0's
7-day window closed before anything was planted, so there the true lift of every
audience is 0 and most intervals must cover it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.nights import REPO, generate_sample, isolated_env, run_night

pytestmark = [pytest.mark.integration, pytest.mark.slow]

END = "2026-04-30"
R0, R1, D = dt.date(2026, 4, 10), dt.date(2026, 4, 20), dt.date(2026, 4, 28)
SHARE, TOTAL = 0.5, 100.0
PLANTED = "interested_shoppers"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three nights over one sample, the planted response between the second and third."""
    home = tmp_path_factory.mktemp("lift_home")
    env = isolated_env(home)
    # Audiences of a 2,000-person sample swing from night to night.
    extra = {"PZ_ACCEPT_VOLUME_CHANGE": "1"}
    generate_sample(home / "landing", customers=2000, days=90, end_date=END, seed=5, env=env)
    run_night(home, R0.isoformat(), extra)
    run_night(home, R1.isoformat(), extra)
    planted = subprocess.run(
        [
            sys.executable, "-m", "warehouse.synthetic", "--out", str(home / "landing"),
            "--plant-lift", PLANTED, "--run-date", R1.isoformat(),
            "--exports", str(home / "exports"), "--lift-share", str(SHARE),
            "--lift-order-total", str(TOTAL), "--lift-days", "7",
        ],
        env=env, cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "planted" in planted.stdout
    run_night(home, D.isoformat(), extra)
    return home


def lift(home: Path, run_date: dt.date, window: int) -> list[dict]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(
            "select * from marts.audience_lift where run_date = ? and window_days = ? "
            "order by audience",
            [run_date, window],
        )
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_planted_lift_is_inside_the_interval_and_the_interval_excludes_zero(home: Path):
    truth = json.loads(
        (home / "landing" / "_truth" / f"planted_lift_{R1}_{PLANTED}.json").read_text()
    )
    assert truth["planted_orders"] > 50
    (row,) = [r for r in lift(home, R1, 7) if r["audience"] == PLANTED]
    assert row["window_closed"] and row["days_observed"] == 7 and row["computed_on"] == D
    assert row["treated_n"] == truth["treated_members"]
    expected = SHARE * TOTAL
    assert row["revenue_ci_low"] <= expected <= row["revenue_ci_high"], row
    assert row["revenue_ci_low"] > 0, row
    assert row["revenue_cuped_ci_low"] <= expected <= row["revenue_cuped_ci_high"], row
    assert row["revenue_p_value"] < 0.01
    # Conversion: the planted order converts those who would not have ordered anyway.
    expected_conversion = SHARE * (1 - row["conversion_control"])
    assert row["conversion_ci_low"] <= expected_conversion <= row["conversion_ci_high"], row
    assert row["conversion_ci_low"] > 0 and row["conversion_p_value"] < 0.01


def test_with_no_planted_effect_most_intervals_cover_zero(home: Path):
    rows = [r for r in lift(home, R0, 7) if r["control_n"] >= 2 and r["treated_n"] >= 2]
    assert len(rows) >= 5, [r["audience"] for r in rows]
    intervals = [(r["conversion_ci_low"], r["conversion_ci_high"]) for r in rows] + [
        (r["revenue_ci_low"], r["revenue_ci_high"]) for r in rows if r["revenue_ci_low"] is not None
    ]
    covering = sum(low <= 0 <= high for low, high in intervals)
    assert covering / len(intervals) >= 0.75, rows


def test_open_windows_are_recomputed_and_say_so(home: Path):
    """R1's 30-day window is open on D: 8 days observed, computed on D, not closed."""
    rows = lift(home, R1, 30)
    assert rows and all(not r["window_closed"] and r["days_observed"] == 8 for r in rows)
    assert all(r["computed_on"] == D for r in rows)
    # R0's rows were recomputed on D too (its 30-day window is still open).
    assert {r["computed_on"] for r in lift(home, R0, 7)} == {D}


def test_a_person_keeps_their_holdout_draw_on_every_night(home: Path):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select run_date, audience, person_id, is_control from audiences.audience_sends"
        ).fetchall()
    assert {r[0] for r in rows} == {R0, R1, D}
    draws: dict[tuple[str, str], set[bool]] = {}
    for _, audience, person, is_control in rows:
        draws.setdefault((audience, person), set()).add(is_control)
        digest = hashlib.md5(f"{person}|{audience}".encode()).hexdigest()
        assert is_control == (int(digest[:8], 16) / 2**32 < 0.10)
    assert all(len(values) == 1 for values in draws.values())
    nights = Counter((audience, person) for _, audience, person, _ in rows)
    assert sum(1 for n in nights.values() if n > 1) > 100, "few people seen on two nights"


def test_the_variant_is_exported_and_the_posterior_logged(home: Path):
    table = pq.read_table(home / "exports" / D.isoformat() / f"{PLANTED}.parquet")
    assert "variant" in table.column_names
    assert set(table.column("variant").to_pylist()) <= {"a", "b"}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        posteriors = con.execute(
            "select variant, alpha, beta, allocation_share from marts.audience_variant_posteriors "
            "where run_date = ? and audience = ? order by variant",
            [D, PLANTED],
        ).fetchall()
    assert [p[0] for p in posteriors] == ["a", "b"]
    assert sum(p[3] for p in posteriors) == pytest.approx(1.0)
    # R0's 7-day window closed before D: its members are in the posterior.
    assert sum(p[1] + p[2] - 2 for p in posteriors) > 0
    log = (home / "dag_run.log").read_text()
    assert "audience_lift" in log
