"""The sample generator: deterministic, contract-conformant, with signal and truth."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest

from warehouse.contract import ENTITIES
from warehouse.load import discover, load_landing
from warehouse.synthetic import generate

END = dt.date(2026, 3, 31)


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict, Path]:
    out = tmp_path_factory.mktemp("landing")
    summary = generate(customers=600, days=40, end_date=END, seed=7, out=out)
    db = out.parent / "warehouse.duckdb"
    load = load_landing(out, db)
    assert not load.failed, load.failed
    return out, summary, db


def test_same_seed_gives_byte_identical_files(sample, tmp_path: Path) -> None:
    out, _, _ = sample
    again = generate(customers=600, days=40, end_date=END, seed=7, out=tmp_path)
    assert digest(tmp_path) == digest(out)
    assert again["events"] > 0
    other = generate(customers=600, days=40, end_date=END, seed=8, out=tmp_path)
    assert digest(tmp_path) != digest(out)
    assert other["entities"].keys() == again["entities"].keys()


def test_every_entity_is_delivered_in_the_contract_layout(sample) -> None:
    out, summary, _ = sample
    files, ignored = discover(out)
    assert ignored == []
    assert {f.entity.key for f in files} == {e.key for e in ENTITIES}
    dates = {f.extract_date for f in files}
    assert max(dates) == END and min(dates) == END - dt.timedelta(days=39)
    snapshot_days = sorted(f.extract_date for f in files if f.entity.key == "crm/customers")
    assert snapshot_days == [END - dt.timedelta(days=39), END - dt.timedelta(days=9), END]
    assert summary["entities"]["web/events"]["files"] == 40


def test_loads_with_few_rejects_of_every_planted_kind(sample) -> None:
    _, _, db = sample
    with duckdb.connect(str(db), read_only=True) as con:
        worst = con.execute(
            "select max(rows_rejected / rows_read) from raw._loads where rows_read > 200"
        ).fetchone()[0]
        reasons = {r[0] for r in con.execute("select distinct reason from raw._rejects").fetchall()}
        replays = con.execute(
            "select count(*) from (select messageId from raw.web__events "
            "group by 1 having count(*) > 1)"
        ).fetchone()[0]
        offsets = con.execute(
            "select count(*) from raw.shop__orders where order_ts is not null"
        ).fetchone()[0]
    assert worst < 0.02
    assert "broken JSON line" in reasons
    assert any(r.startswith("value -1 below minimum") for r in reasons)
    assert replays > 0
    assert offsets > 0


def test_truth_files_cover_every_person(sample) -> None:
    out, _, _ = sample
    truth = out / "_truth"
    with duckdb.connect() as con:
        people = con.execute(
            f"select count(*), count(distinct persona), min(churn_probability), "
            f"max(churn_probability) from '{truth / 'people.parquet'}'"
        ).fetchone()
        assert people[0] == 600 and people[1] == 6
        assert 0 <= people[2] < people[3] <= 1
        kinds = {
            r[0]
            for r in con.execute(
                f"select distinct identifier_type from '{truth / 'identifiers.parquet'}'"
            ).fetchall()
        }
        assert kinds == {"customer_id", "email", "loyalty_id", "anonymous_id"}
        dupes = con.execute(
            f"select count(*) from (select person_key from '{truth / 'identifiers.parquet'}' "
            "where identifier_type = 'customer_id' group by 1 having count(*) > 1)"
        ).fetchone()[0]
        assert dupes > 0
        future = con.execute(
            f"select min(order_ts), max(order_ts) from '{truth / 'future_orders.parquet'}'"
        ).fetchone()
        assert future[0].date() > END and future[1].date() <= END + dt.timedelta(days=90)


def test_personas_drive_behaviour(sample) -> None:
    out, _, db = sample
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(
            con.execute(
                f"""
                with truth as (
                    select 'C' || substr(person_key, 2) as customer_id, persona
                    from '{out / "_truth" / "people.parquet"}'
                )
                select persona, count(o.order_id) / count(distinct t.customer_id)
                from truth t left join raw.shop__orders o using (customer_id)
                group by 1
                """
            ).fetchall()
        )
        future = dict(
            con.execute(
                f"select persona, avg(ordered_next_90d::int) "
                f"from '{out / '_truth' / 'people.parquet'}' group by 1"
            ).fetchall()
        )
    assert rows["loyal_high_value"] > 3 * rows["window_shopper"]
    assert future["loyal_high_value"] > future["lapsing"]
