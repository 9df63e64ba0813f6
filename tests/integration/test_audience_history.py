"""audiences.audience_sends with real dbt: the rolling cap, backfills, the holdout, variants.

The audiences are built over a copy of the shared sample warehouse (marts as of END,
the ml tables empty) for two consecutive run dates, so the same people qualify on both
nights and the rolling cap has something to do. The variants are tested on planted
history: orders planted in marts.fct_orders after an earlier night make variant b of
interested_shoppers convert far better than a.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.lift import audience_lift, frequency_capped
from tests.integration.conftest import END
from warehouse.settings import DBT_PROJECT_DIR, Settings, load_settings

pytestmark = pytest.mark.integration

DBT = str(Path(sys.executable).with_name("dbt"))
D1, D2 = END - dt.timedelta(days=1), END


def build(settings: Settings, select: str, run_date: dt.date, **variables: object) -> None:
    """``dbt build`` of a selection with extra vars; fails the test with dbt's output."""
    proc = subprocess.run(
        [
            DBT, "build", "--select", select, "--profiles-dir", ".",
            "--target-path", str(settings.dbt_target_dir),
            "--vars", json.dumps({"run_date": run_date.isoformat(), **variables}),
        ],
        cwd=DBT_PROJECT_DIR, env={**os.environ, "PZ_DUCKDB_PATH": str(settings.duckdb_path)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:]


def copy_of(built_warehouse: Path, home: Path) -> Settings:
    settings = load_settings({"PZ_HOME": str(home), "PZ_DUCKDB_PATH": str(home / "w.duckdb")})
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built_warehouse, settings.duckdb_path)
    return settings


def sends(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(
            "select run_date, audience, person_id, channel, status, cap_reason, is_control, "
            "variant from audiences.audience_sends order by all"
        ).fetchall()


@pytest.fixture(scope="module")
def capped(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Two nights with at most one message per person in 7 days."""
    settings = copy_of(built_warehouse, tmp_path_factory.mktemp("capped"))
    for day in (D1, D2):
        build(settings, "path:models/audiences", day, rolling_message_cap=1)
    return settings


def test_no_one_gets_more_messages_in_seven_days_than_the_cap(capped: Settings) -> None:
    rows = sends(capped)
    messages: dict[str, int] = {}
    for _, _, person, channel, status, *_ in rows:
        if status == "treated" and channel in ("email", "sms"):
            messages[person] = messages.get(person, 0) + 1
    assert messages and max(messages.values()) == 1
    # Everyone sent a message on D1 who qualifies again on D2 is capped on D2.
    sent_d1 = {r[2] for r in rows if r[0] == D1 and r[4] == "treated" and r[3] != "ads"}
    again = [r for r in rows if r[0] == D2 and r[2] in sent_d1 and r[3] != "ads"]
    assert again and all(r[4] == "capped" for r in again)
    assert all(r[5].startswith("rolling_message_cap: 1 messages") for r in again)
    # Ads audiences are not messages: never capped.
    assert all(r[4] != "capped" for r in rows if r[3] == "ads")


def test_capped_people_are_listed_and_counted(capped: Settings) -> None:
    with duckdb.connect(str(capped.duckdb_path), read_only=True) as con:
        listed = con.execute(
            "select count(*), count(distinct person_id) from audiences.audience_frequency_capped "
            "where run_date = ?",
            [D2],
        ).fetchone()
        in_membership = con.execute(
            "select count(*) from audiences.membership "
            "join audiences.audience_frequency_capped using (run_date, audience, person_id)"
        ).fetchone()[0]
    counted = frequency_capped(D2.isoformat(), capped)
    assert counted["rows"] == listed[0] > 0 and counted["people"] == listed[1]
    assert counted["by_cap"].get("rolling_message_cap", 0) > 0
    assert in_membership == 0


def test_a_backfill_replaces_its_night_and_counts_nothing_twice(
    capped: Settings, built_warehouse: Path, tmp_path: Path
) -> None:
    before = sends(capped)
    backfilled = copy_of(built_warehouse, tmp_path)
    shutil.copyfile(capped.duckdb_path, backfilled.duckdb_path)
    build(backfilled, "path:models/audiences", D1, rolling_message_cap=1)
    after = sends(backfilled)
    assert after == before
    # D1 sees no later night: re-run, it is decided exactly as the first time.
    assert len([r for r in after if r[0] == D1]) == len([r for r in before if r[0] == D1])


def test_the_holdout_draw_is_the_md5_rule_and_the_same_on_both_nights(capped: Settings) -> None:
    rows = sends(capped)
    by_pair: dict[tuple[str, str], set[bool]] = {}
    for _, audience, person, _, _, _, is_control, _ in rows:
        digest = hashlib.md5(f"{person}|{audience}".encode()).hexdigest()
        assert is_control == (int(digest[:8], 16) / 2**32 < 0.10)
        by_pair.setdefault((audience, person), set()).add(is_control)
    assert sum(1 for _ in by_pair) < len(rows), "nobody qualified on both nights"
    assert all(len(draws) == 1 for draws in by_pair.values())


def shares(settings: Settings, run_date: dt.date) -> dict[str, float]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        counts = dict(
            con.execute(
                "select variant, count(*) from audiences.audience_sends where run_date = ? "
                "and audience = 'interested_shoppers' and status = 'treated' group by variant",
                [run_date],
            ).fetchall()
        )
    total = sum(counts.values())
    assert total > 100
    return {variant: n / total for variant, n in counts.items()}


def test_with_no_history_the_allocation_is_about_uniform(
    built_warehouse: Path, tmp_path: Path
) -> None:
    settings = copy_of(built_warehouse, tmp_path)
    build(settings, "path:models/audiences", D2)
    result = audience_lift(
        {"run_date": D2.isoformat()}, settings, settings.dbt_target_dir / "manifest.json"
    )
    posterior = result["posteriors"]["interested_shoppers"]
    assert {v: (p["alpha"], p["beta"]) for v, p in posterior.items()} == {
        "a": (1.0, 1.0),
        "b": (1.0, 1.0),
    }
    assert posterior["a"]["allocation_share"] == pytest.approx(0.5, abs=0.01)
    build(settings, "path:models/audiences", D2)
    allocated = shares(settings, D2)
    assert set(allocated) == {"a", "b"} and abs(allocated["a"] - 0.5) < 0.1
    # Deterministic: the member's draw is md5 of run date, audience and person.
    for run_date, audience, person, _, status, _, _, variant in sends(settings):
        if audience == "interested_shoppers" and status == "treated":
            key = f"variant|{run_date}|{audience}|{person}"
            draw = int(hashlib.md5(key.encode()).hexdigest()[:8], 16) / 2**32
            share_a = posterior["a"]["allocation_share"]
            assert variant == ("a" if draw < share_a else "b")


def test_with_history_where_b_converts_far_better_most_members_get_b(
    built_warehouse: Path, tmp_path: Path
) -> None:
    settings = copy_of(built_warehouse, tmp_path)
    earlier = END - dt.timedelta(days=20)
    build(settings, "path:models/audiences", earlier)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        members = con.execute(
            "select person_id, variant from audiences.audience_sends where run_date = ? "
            "and audience = 'interested_shoppers' and status = 'treated' order by person_id",
            [earlier],
        ).fetchall()
        planted = [
            (f"planted-{i}", person)
            for i, (person, variant) in enumerate(members)
            if (variant == "b" and i % 10 < 8) or (variant == "a" and i % 20 == 0)
        ]
        con.executemany(
            "insert into marts.fct_orders (order_id, person_id, channel, status, revenue, "
            "gross_revenue, is_cancelled, is_returned, is_revenue, order_date, ordered_at) "
            "values (?, ?, 'web', 'placed', 50, 50, false, false, true, ?, ?)",
            [
                (o, p, earlier + dt.timedelta(days=2), earlier + dt.timedelta(days=2))
                for o, p in planted
            ],
        )
    # The outcomes view was created before any night was recorded: build it again.
    build(settings, "audience_outcomes", END)
    result = audience_lift(
        {"run_date": END.isoformat()}, settings, settings.dbt_target_dir / "manifest.json"
    )
    posterior = result["posteriors"]["interested_shoppers"]
    assert posterior["b"]["alpha"] > 5 * posterior["a"]["alpha"]
    assert posterior["b"]["allocation_share"] > 0.99
    build(settings, "path:models/audiences", END)
    assert shares(settings, END).get("b", 0) > 0.9
