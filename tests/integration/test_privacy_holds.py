"""Erasure everywhere and for good, over real nights of the DAG.

Night one publishes a person in its email files and fits the models on them. An
erasure request for them arrives with the next day's extracts; after night two the
person must be found nowhere the pipeline keeps data (every table of the warehouse,
raw included; every export folder, earlier ones included; every MLflow artifact and
the store itself; the logs), and a backfill of night one must not bring them back. A
file delivered again with the person in it is purged as it is loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import copy_until
from tests.nights import generate_sample, isolated_env, run_night
from warehouse.export.sql import literal
from warehouse.files import sha256_file

D1, D2 = "2026-06-29", "2026-06-30"
REQUEST_ID = "R-TEST-1"


def _victim(home: Path) -> dict[str, set[str]]:
    """A person of night one's email files who is also in ml.recommendations: what names them."""
    folder = home / "exports" / D1
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        person_id, email = con.execute(
            f"""
            select e.person_id, e.email
            from read_csv('{folder}/product_recommendations.csv', all_varchar = true) e
            join ml.recommendations r using (person_id)
            join marts.person_identifiers i on i.person_id = e.person_id
                and i.identifier_type = 'customer_id'
            where e.email is not null
            order by e.person_id
            limit 1
            """
        ).fetchone()
        identifiers = con.execute(
            "select identifier_type, identifier_value from marts.person_identifiers "
            "where person_id = ?",
            [person_id],
        ).fetchall()
        customer_ids = [v for t, v in identifiers if t == "customer_id"]
        phones = con.execute(
            "select distinct phone from raw.crm__customers where customer_id in "
            "(select unnest(?)) and phone is not null "
            "union select phone from marts.dim_customers where person_id = ? and phone is not null",
            [customer_ids, person_id],
        ).fetchall()
        orders = con.execute(
            "select distinct order_id from raw.shop__orders "
            "where customer_id in (select unnest(?))",
            [customer_ids],
        ).fetchall()
    finally:
        con.close()
    phones_ = {p for (p,) in phones}
    plain = {person_id, email, *(v for _, v in identifiers), *phones_, *(o for (o,) in orders)}
    hashed = {
        hashlib.sha256(v.encode()).hexdigest()
        for v in {email, *phones_, *(p.removeprefix("+") for p in phones_)}
    }
    return {
        "plain": {v for v in plain if v},
        "hashed": hashed,
        "customer_ids": set(customer_ids),
        "email": {email},
        "person_id": {person_id},
    }


def _request(landing: Path, victim: dict[str, set[str]]) -> None:
    """Deliver an erasure request by the victim's customer id with D2's extracts."""
    path = landing / "privacy" / D2 / "erasure_requests.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text().splitlines() if path.exists() else []
    lines = lines or ["request_id,customer_id,email,requested_at"]
    lines.append(f"{REQUEST_ID},{sorted(victim['customer_ids'])[0]},,{D2}T09:00:00Z")
    path.write_text("\n".join(lines) + "\n")


def _warehouse_hits(db: Path, tokens: set[str]) -> list[str]:
    """Every table and column of the warehouse whose text holds one of the tokens."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type not in ('BIGINT', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'DATE', "
            "'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'FLOAT', 'HUGEINT', 'SMALLINT') "
            "order by 1, 2, 3"
        ).fetchall()
        hits = []
        for schema, table, column in columns:
            text = f'cast("{column}" as varchar)'
            where = " or ".join(f"contains({text}, {literal(t)})" for t in sorted(tokens))
            found = con.execute(f'select count(*) from "{schema}"."{table}" where {where}')
            found = found.fetchone()[0]
            if found:
                hits.append(f"{schema}.{table}.{column}: {found} rows")
        return hits
    finally:
        con.close()


def _file_hits(root: Path, tokens: set[str]) -> list[str]:
    """Every file under ``root`` that holds one of the tokens (Parquet read as values)."""
    needles = [t.encode(enc) for t in tokens for enc in ("utf-8", "utf-32-le")]
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            frame = duckdb.sql(f"select * from read_parquet('{path}')").df()
            text = frame.astype(str).to_csv().encode()
        else:
            text = path.read_bytes()
        if any(n in text for n in needles):
            hits.append(str(path.relative_to(root)))
    return hits


def _findings(home: Path, victim: dict[str, set[str]]) -> dict[str, list[str]]:
    tokens = victim["plain"] | victim["hashed"]
    return {
        "warehouse": _warehouse_hits(home / "warehouse.duckdb", tokens),
        "exports": _file_hits(home / "exports", tokens),
        "mlflow": _file_hits(home / "mlflow", victim["plain"]),
        "logs": [
            hit
            for folder in ("logs", "airflow", "dbt")
            for hit in _file_hits(home / folder, victim["plain"])
        ],
    }


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Night one, an erasure request, night two, then a backfill of night one."""
    root = tmp_path_factory.mktemp("privacy")
    home = root / "home"
    full = root / "full"
    generate_sample(full, customers=500, days=100, end_date=D2, seed=21, env=isolated_env(home))
    copy_until(full, home / "landing", dt.date.fromisoformat(D1))
    run_night(home, D1)
    victim = _victim(home)
    before = _findings(home, victim)
    d1_ids = duckdb.sql(
        f"select distinct person_id from read_csv('{home}/exports/{D1}/*.csv', all_varchar = true, "
        "union_by_name = true) where person_id is not null"
    ).fetchall()
    for folder in full.glob(f"*/{D2}"):
        shutil.copytree(folder, home / "landing" / folder.relative_to(full), dirs_exist_ok=True)
    _request(home / "landing", victim)
    run_night(home, D2)
    after = _findings(home, victim)
    snapshot = root / "after-night-two"
    shutil.copytree(home, snapshot, symlinks=True)
    run_night(home, D1)
    return {
        "home": home,
        "snapshot": snapshot,
        "victim": victim,
        "before": before,
        "after": after,
        "after_backfill": _findings(home, victim),
        "d1_ids": {r[0] for r in d1_ids},
    }


def test_the_person_was_everywhere_before_the_request(nights: dict) -> None:
    """The scan can find the person: before the request they are in every place."""
    before = nights["before"]
    assert before["warehouse"] and before["exports"] and before["mlflow"], before
    assert any(h.startswith("raw.") for h in before["warehouse"])
    assert any(h.startswith("intermediate.int_identity") for h in before["warehouse"])
    assert any(h.startswith("ml.recommendations") for h in before["warehouse"])


def test_an_erased_person_is_found_nowhere_after_the_next_night(nights: dict) -> None:
    assert nights["after"] == {"warehouse": [], "exports": [], "mlflow": [], "logs": []}


def test_a_backfill_does_not_bring_them_back(nights: dict) -> None:
    assert nights["after_backfill"] == {"warehouse": [], "exports": [], "mlflow": [], "logs": []}


def test_the_earlier_folder_was_rewritten_and_still_adds_up(nights: dict) -> None:
    """Night one's folder lost the person's rows, its manifest matches its files, and it
    says when and why it was rewritten."""
    folder = nights["snapshot"] / "exports" / D1
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [r["reason"] for r in manifest["rewrites"]] == ["erasure or withdrawn consent"]
    assert manifest["rewrites"][0]["rows_removed"] >= 1
    for entry in [*manifest["files"], *manifest["person_id_merges"]]:
        assert sha256_file(folder / entry["file"]) == entry["sha256"], entry["file"]


def test_the_erasure_log_says_what_changed_and_names_nobody(nights: dict) -> None:
    con = duckdb.connect(str(nights["snapshot"] / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select request_id, completed_at, run_date, changes from meta.erasure_log "
            "where request_id = ?",
            [REQUEST_ID],
        ).fetchall()
        scrubbed = con.execute(
            "select customer_id, email from raw.privacy__erasure_requests where request_id = ?",
            [REQUEST_ID],
        ).fetchall()
        remembered = con.execute("select count(*) from meta.erased_identifiers").fetchone()[0]
    finally:
        con.close()
    assert len(rows) == 1
    _, completed_at, run_date, changes = rows[0]
    assert str(run_date) == D2 and completed_at is not None
    changes = json.loads(changes)
    assert changes["tables"]["raw.crm__customers"] >= 1
    assert D1 in changes["export_folders"]
    assert changes["mlflow"]["models_scrubbed"] >= 1
    assert scrubbed == [(None, None)]
    assert remembered >= 2
    assert not any(token in json.dumps(changes) for token in nights["victim"]["plain"])


def test_a_redelivered_file_is_purged_as_it_is_loaded(
    nights: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CRM snapshot delivered again (changed, so loaded again) still holds the person:
    their rows are dropped at load and counted."""
    from warehouse.load import load_landing

    home = tmp_path / "home"
    shutil.copytree(nights["snapshot"], home, symlinks=True)
    monkeypatch.setenv("PZ_HOME", str(home))
    snapshot = sorted((home / "landing" / "crm").glob("*/customers.csv"))[0]
    snapshot.write_text(snapshot.read_text() + "\n")
    summary = load_landing(home / "landing", home / "warehouse.duckdb")
    assert not summary.failed
    assert summary.erased_rows.get("raw.crm__customers", 0) >= 1
    assert _warehouse_hits(home / "warehouse.duckdb", nights["victim"]["plain"]) == []


def test_person_ids_survive_the_night_and_are_keyed(nights: dict) -> None:
    """Everyone night one exported still has their id on night two (or is listed as
    merged), except the erased person; and no id is the unkeyed md5 of a customer id."""
    con = duckdb.connect(str(nights["snapshot"] / "warehouse.duckdb"), read_only=True)
    try:
        known = {r[0] for r in con.execute("select person_id from marts.dim_customers").fetchall()}
        merged = {
            r[0] for r in con.execute("select old_person_id from marts.person_id_merges").fetchall()
        }
        customer_ids = [
            r[0] for r in con.execute("select customer_id from raw.crm__customers").fetchall()
        ]
    finally:
        con.close()
    lost = nights["d1_ids"] - known - merged - nights["victim"]["person_id"]
    assert not lost, sorted(lost)[:5]
    unkeyed = {
        "p_" + hashlib.md5(f"customer_id:{c}".encode()).hexdigest()[:16] for c in customer_ids
    }
    assert not unkeyed & known


def test_personal_data_is_owner_only(nights: dict) -> None:
    home = nights["home"]
    for path in (home / "warehouse.duckdb", home / "secrets" / "person_id.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in (home / "mlflow", home / "secrets", home / "logs"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    key = (home / "secrets" / "person_id.key").read_text().strip()
    leaked = _file_hits(home / "logs", {key}) + _file_hits(home / "dbt", {key})
    assert not leaked
    assert os.path.isdir(home / "exports" / D1)
