"""The sample generator: deterministic, contract-conformant, with signal and a known truth.

These tests read the generated files directly (DuckDB and ``json``), so they check the
generator against ``warehouse/contract.py`` without depending on the loader.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from warehouse.contract import ENTITIES, EXTENSIONS, WEB_TRACK_EVENTS, Entity, entity
from warehouse.synthetic import generate

END = dt.date(2026, 3, 31)
DAYS = 40
CUSTOMERS = 300
START = END - dt.timedelta(days=DAYS - 1)


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, keyed by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def split_name(name: str) -> tuple[str, str]:
    """``events.jsonl.gz`` -> (``events``, ``.jsonl.gz``)."""
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return name[: -len(ext)], ext
    return name, ""


def extract_files(out: Path) -> list[tuple[Entity, dt.date, Path]]:
    """Every delivered file with its contract entity and extract date."""
    files = []
    for path in sorted(out.glob("*/*/*")):
        source, day = path.parts[-3], path.parts[-2]
        if source.startswith((".", "_")):
            continue
        stem, _ = split_name(path.name)
        files.append((entity(source, stem), dt.date.fromisoformat(day), path))
    return files


def read_json_lines(path: Path) -> tuple[list[dict], int]:
    """Parsed records of a JSON lines file and the number of lines that do not parse."""
    opener = gzip.open if path.name.endswith(".gz") else open
    records, broken = [], 0
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                broken += 1
    return records, broken


def tabular(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """SQL relation over a CSV or Parquet extract, every column as text."""
    if path.name.endswith(".parquet"):
        return f"(select columns(*)::varchar from read_parquet('{path}'))"
    return f"read_csv('{path}', header = true, all_varchar = true)"


def violations(con: duckdb.DuckDBPyConnection, ent: Entity, relation: str) -> tuple[int, int]:
    """Rows of a tabular extract and how many break a contract rule."""
    checks = []
    for col in ent.columns:
        q = f'"{col.name}"'
        if col.required:
            checks.append(f"{q} is null")
        if col.type != "VARCHAR":
            checks.append(f"({q} is not null and try_cast({q} as {col.type}) is null)")
        if col.accepted:
            accepted = ", ".join(f"'{a}'" for a in col.accepted)
            checks.append(f"({q} is not null and {q} not in ({accepted}))")
        if col.min_value is not None:
            checks.append(f"try_cast({q} as double) < {col.min_value}")
    for group in ent.one_of:
        checks.append("(" + " and ".join(f'"{c}" is null' for c in group) + ")")
    rows, bad = con.execute(
        f"select count(*), count(*) filter (where {' or '.join(checks)}) from {relation}"
    ).fetchone()
    return rows, bad


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("landing")
    summary = generate(customers=CUSTOMERS, days=DAYS, end_date=END, seed=7, out=out)
    return out, summary


@pytest.fixture(scope="module")
def truth(sample: tuple[Path, dict]) -> Path:
    return sample[0] / "_truth"


def test_same_seed_gives_byte_identical_files(sample, tmp_path: Path) -> None:
    out, summary = sample
    again = generate(customers=CUSTOMERS, days=DAYS, end_date=END, seed=7, out=tmp_path)
    assert digest(tmp_path) == digest(out)
    assert again["entities"] == summary["entities"]
    generate(customers=CUSTOMERS, days=DAYS, end_date=END, seed=8, out=tmp_path)
    assert digest(tmp_path) != digest(out)


def test_every_entity_is_delivered_in_the_contract_layout(sample) -> None:
    out, summary = sample
    files = extract_files(out)
    assert {ent.key for ent, _, _ in files} == {e.key for e in ENTITIES}
    for _, day, path in files:
        assert split_name(path.name)[1] in EXTENSIONS
        assert START <= day <= END
    assert {day for _, day, _ in files} == {START + dt.timedelta(days=i) for i in range(DAYS)}
    assert summary["entities"]["web/events"]["files"] == DAYS
    assert summary["events"] == summary["entities"]["web/events"]["rows"] > 0
    for key, stats in summary["entities"].items():
        assert stats["rows"] > 0 and stats["bytes"] > 0, key


def test_snapshots_arrive_on_the_first_day_every_30_days_and_the_end_date(sample) -> None:
    out, _ = sample
    expected = [START, START + dt.timedelta(days=30), END]
    for key in ("crm/customers", "shop/products"):
        days = sorted(day for ent, day, _ in extract_files(out) if ent.key == key)
        assert days == expected, key


def test_snapshots_grow_with_signups_and_carry_changes(sample) -> None:
    out, _ = sample
    first, last = (out / "crm" / d.isoformat() / "customers.csv" for d in (START, END))
    with duckdb.connect() as con:
        n_first, n_last = (
            con.execute(f"select count(*) from '{p}'").fetchone()[0] for p in (first, last)
        )
        changed = con.execute(
            f"select count(*) from read_csv('{first}', all_varchar = true) a "
            f"join read_csv('{last}', all_varchar = true) b using (customer_id) "
            "where a.updated_at <> b.updated_at and a.city <> b.city"
        ).fetchone()[0]
    assert n_last > n_first
    assert changed > 0


def test_tabular_files_carry_the_contract_columns_with_few_bad_rows(sample) -> None:
    out, _ = sample
    per_entity: dict[str, list[int]] = {}
    with duckdb.connect() as con:
        for ent, _, path in extract_files(out):
            if ent.key == "web/events":
                continue
            relation = tabular(con, path)
            names = {
                r[0].lower() for r in con.execute(f"describe select * from {relation}").fetchall()
            }
            assert {c.name.lower() for c in ent.columns} <= names, path
            rows, bad = violations(con, ent, relation)
            assert bad <= max(1, 0.05 * rows), path  # never near the loader's threshold
            total = per_entity.setdefault(ent.key, [0, 0])
            total[0] += rows
            total[1] += bad
    for key, (rows, bad) in per_entity.items():
        assert bad / rows < 0.01, key
    assert per_entity["shop/order_items"][1] > 0  # negative quantities, non-numeric prices


def test_web_events_follow_the_segment_spec(sample) -> None:
    out, _ = sample
    ent = entity("web", "events")
    names = {c.name for c in ent.columns}
    records, broken, lines = [], 0, 0
    for e, _, path in extract_files(out):
        if e.key == "web/events":
            parsed, bad = read_json_lines(path)
            records += parsed
            broken += bad
            lines += len(parsed) + bad
    assert broken / lines < 0.005
    assert all(set(r) <= names and r["messageId"] and r["timestamp"] for r in records)
    assert all(r["anonymousId"] or r["userId"] for r in records)
    assert {r["type"] for r in records} == {"track", "identify", "page"}
    events = {r["event"] for r in records if r["type"] == "track"}
    assert {"Product Viewed", "Product Added", "Order Completed", "Products Searched"} <= events
    assert events == set(WEB_TRACK_EVENTS)
    identify = [r for r in records if r["type"] == "identify"]
    assert identify and all(r["userId"] and r["traits"]["email"] for r in identify)
    devices = {r["context"]["device"]["type"] for r in records}
    assert devices <= {"desktop", "mobile", "tablet"}
    assert any(r["timestamp"].endswith("+01:00") for r in records)


def test_web_events_carry_replays_late_arrivals_and_a_bot(sample) -> None:
    out, _ = sample
    seen: dict[str, int] = {}
    late = total = 0
    per_anon: dict[str, int] = {}
    for ent, day, path in extract_files(out):
        if ent.key != "web/events":
            continue
        for r in read_json_lines(path)[0]:
            total += 1
            seen[r["messageId"]] = seen.get(r["messageId"], 0) + 1
            stamp = dt.datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00"))
            late += (day - stamp.astimezone(dt.UTC).date()).days >= 1
            if r["anonymousId"] and not r["userId"]:
                per_anon[r["anonymousId"]] = per_anon.get(r["anonymousId"], 0) + 1
    replays = sum(n - 1 for n in seen.values())
    assert 0 < replays < 0.01 * total
    assert 0 < late < 0.03 * total
    bot, views = max(per_anon.items(), key=lambda kv: kv[1])
    assert bot.startswith("a-bot") and views >= 24 * DAYS


def test_truth_files_cover_every_person(truth: Path) -> None:
    with duckdb.connect() as con:
        cols = {
            name: [r[0] for r in con.execute(f"describe '{truth / name}'").fetchall()]
            for name in ("people.parquet", "identifiers.parquet", "future_orders.parquet")
        }
        assert cols == {
            "people.parquet": ["person_key", "persona", "churn_probability", "ordered_next_90d"],
            "identifiers.parquet": ["person_key", "identifier_type", "identifier_value"],
            "future_orders.parquet": ["person_key", "order_ts", "product_id"],
        }
        people = con.execute(
            f"select count(*), count(distinct persona), min(churn_probability), "
            f"max(churn_probability) from '{truth / 'people.parquet'}'"
        ).fetchone()
        assert people[0] == CUSTOMERS and people[1] == 6
        assert 0 <= people[2] < people[3] <= 1
        kinds = con.execute(
            f"select distinct identifier_type from '{truth / 'identifiers.parquet'}' order by 1"
        ).fetchall()
        assert [k[0] for k in kinds] == ["anonymous_id", "customer_id", "email", "loyalty_id"]
        future = con.execute(
            f"select min(order_ts), max(order_ts) from '{truth / 'future_orders.parquet'}'"
        ).fetchone()
        assert END < future[0].date() <= future[1].date() <= END + dt.timedelta(days=90)


def test_duplicates_share_evidence_and_shared_identifiers_stay_out_of_the_truth(
    sample, truth: Path
) -> None:
    out, _ = sample
    with duckdb.connect() as con:
        pairs = con.execute(
            f"""
            with ids as (select * from '{truth / "identifiers.parquet"}')
            select count(distinct person_key) as people,
                   count(*) filter (where n_norm < n_raw) as same_normalized_email
            from (
                select person_key, count(distinct identifier_value) as n_raw,
                       count(distinct lower(trim(identifier_value))) as n_norm
                from ids where identifier_type = 'email' group by 1
            ) e
            join (
                select person_key from ids where identifier_type = 'customer_id'
                group by 1 having count(*) > 1
            ) d using (person_key)
            """
        ).fetchone()
        test_records = con.execute(
            f"select count(*) from '{out / 'crm' / END.isoformat() / 'customers.csv'}' "
            "where email = 'test@example.com'"
        ).fetchone()[0]
        in_truth = con.execute(
            f"select count(*) from '{truth / 'identifiers.parquet'}' "
            "where identifier_value in ('test@example.com', 'L99999999')"
        ).fetchone()[0]
    assert pairs[0] > 0 and pairs[1] > 0
    assert test_records >= 2
    assert in_truth == 0


def test_email_goes_only_to_people_who_opted_in(sample) -> None:
    out, _ = sample
    with duckdb.connect() as con:
        unconsented = con.execute(
            f"""
            with crm as (
                select customer_id, lower(trim(email)) as email
                from read_csv('{out}/crm/{END.isoformat()}/customers.csv', all_varchar = true)
            ),
            grants as (
                select coalesce(c.customer_id, crm.customer_id) as customer_id
                from read_csv('{out}/privacy/*/consent.csv', all_varchar = true) c
                left join crm on lower(c.email) = crm.email
                where c.channel = 'email' and c.status = 'granted'
            ),
            sends as (
                select distinct customer_id
                from read_csv('{out}/email/*/email_events.csv.gz', all_varchar = true)
                where event_type = 'sent' and customer_id is not null
            )
            select count(*) from sends where customer_id not in (select customer_id from grants)
            """
        ).fetchone()[0]
    assert unconsented == 0


def test_personas_drive_behaviour(sample, truth: Path) -> None:
    out, _ = sample
    with duckdb.connect() as con:
        con.execute(
            f"""
            create view persona as
            select 'C' || substr(person_key, 2) as customer_id, persona, churn_probability,
                   ordered_next_90d
            from '{truth / "people.parquet"}'
            """
        )
        orders = dict(
            con.execute(
                f"""
                with o as (
                    select distinct order_id, customer_id
                    from read_csv('{out}/shop/*/orders.csv', all_varchar = true)
                )
                select persona, count(o.order_id) / count(distinct p.customer_id)
                from persona p left join o using (customer_id) group by 1
                """
            ).fetchall()
        )
        opens = dict(
            con.execute(
                f"""
                select persona, avg((event_type = 'open')::int)
                from read_csv('{out}/email/*/email_events.csv.gz', all_varchar = true)
                join persona using (customer_id)
                where event_type in ('delivered', 'open')
                group by 1
                """
            ).fetchall()
        )
        churn = dict(
            con.execute("select persona, avg(churn_probability) from persona group by 1").fetchall()
        )
    assert orders["loyal_high_value"] > 3 * orders["window_shopper"]
    assert opens["loyal_high_value"] > opens["window_shopper"]
    assert churn["lapsing"] > churn["loyal_high_value"]
