"""Hostile strings in every text field of every extract, through a whole night.

A small generated sample has apostrophes, quotes, backslashes, Jinja and SQL comment
syntax, right-to-left text, emoji, control characters and 10,000-character values
written into every free-text field and identifier (``tests/hostile/inject.py``). The
real DAG runs on it under ``airflow dags test`` (real loader, dbt, MLflow) and must
publish; every value must be in the warehouse as delivered, byte for byte, and in the
marts after the documented normalizations only; CSV cells that would run as
spreadsheet formulas get a leading quote while the Parquet files keep the value.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.hostile.inject import inject, read_csv, read_jsonl
from tests.hostile.strings import HOSTILE, ID_SUFFIXES
from tests.nights import generate_sample, isolated_env, run_night
from warehouse.contract import ENTITIES, Entity
from warehouse.load import load_landing
from warehouse.settings import DBT_PROJECT_DIR

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DATE = "2019-06-30"
CUSTOMERS = 300
DAYS = 90
Con = duckdb.DuckDBPyConnection
#: First characters a spreadsheet runs as a formula (docs/exports.md, Safe CSV).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after one DAG run over the hostile sample; the plain sample beside it."""
    home = tmp_path_factory.mktemp("pz_home")
    plain = home.parent / "plain_landing"
    generate_sample(
        plain, customers=CUSTOMERS, days=DAYS, end_date=RUN_DATE, seed=5, env=isolated_env(home)
    )
    shutil.copytree(plain, home / "landing")
    counts = inject(home / "landing")
    assert set(counts) == {e.key for e in ENTITIES}, counts
    load_landing(plain, home.parent / "plain.duckdb")
    run_night(home, RUN_DATE)
    return home


@pytest.fixture(scope="module")
def con(night: Path) -> Iterator[Con]:
    """A read-only connection to the night's warehouse."""
    with duckdb.connect(str(night / "warehouse.duckdb"), read_only=True) as connection:
        yield connection


def _files(landing: Path, source: str, entity: str) -> list[Path]:
    """An entity's delivered files, oldest extract date first."""
    return sorted(p for p in landing.glob(f"{source}/*/{entity}.*"))


def _raw_rows(con: Con, table: str, columns: list[str]) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Raw rows by (file, row number), the given columns as stored."""
    select = ", ".join(f'"{c}"' for c in columns)
    return {
        (row[0], row[1]): row[2:]
        for row in con.execute(f"select _file, _row_number, {select} from raw.{table}").fetchall()
    }


def _rejected(con: Con) -> dict[str, int]:
    """Rejected rows per loaded file."""
    return dict(con.execute("select file, rows_rejected from raw._loads").fetchall())


def _erased(con: Con) -> tuple[dict[str, int], set[str]]:
    """What the night's erasures took out of raw: rows per raw table, and the requests
    completed (whose customer id and email are scrubbed from raw)."""
    rows = con.execute("select distinct request_id, changes from meta.erasure_log").fetchall()
    deleted: dict[str, int] = {}
    for changes in {c for _, c in rows}:
        for table, count in json.loads(changes)["tables"].items():
            deleted[table] = deleted.get(table, 0) + count
    return deleted, {r for r, _ in rows}


def _relative(landing: Path, path: Path) -> str:
    """A file's path below the landing folder."""
    return str(path.relative_to(landing))


def _raw_key(raw: dict[tuple[str, int], Any], landing: Path, path: Path) -> str:
    """The ``_file`` value the loader stored for a file (relative or absolute)."""
    names = {key[0] for key in raw}
    for name in (_relative(landing, path), str(path)):
        if name in names:
            return name
    raise AssertionError(f"{path} is not in the raw table")


def test_the_hostile_night_publishes_without_a_dbt_error(night: Path) -> None:
    """Data never becomes SQL: dbt compiles and runs every model, the night publishes."""
    log = (night / "dag_run.log").read_text()
    for marker in ("Compilation Error", "Parser Error", "Syntax error", "Database Error"):
        assert marker not in log
    folder = night / "exports" / RUN_DATE
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"] and all((folder / f["file"]).exists() for f in manifest["files"])


def test_every_file_loads_and_rejects_as_its_plain_version_did(night: Path) -> None:
    """Hostile text costs no row: per file, the same rows loaded and rejected as without it."""
    with duckdb.connect(str(night.parent / "plain.duckdb"), read_only=True) as plain:
        expected = plain.execute(
            "select file, status, rows_read, rows_loaded, rows_rejected from raw._loads order by 1"
        ).fetchall()
    with duckdb.connect(str(night / "warehouse.duckdb"), read_only=True) as con:
        actual = con.execute(
            "select file, status, rows_read, rows_loaded, rows_rejected from raw._loads order by 1"
        ).fetchall()
    assert [r[1:] for r in actual] == [r[1:] for r in expected]
    assert all(r[1] == "loaded" for r in actual)


@pytest.mark.parametrize(
    "entity",
    [e for e in ENTITIES if e.key not in ("web/events", "pos/transactions")],
    ids=lambda e: e.key,
)
def test_csv_values_are_in_raw_byte_for_byte(night: Path, con: Con, entity: Entity) -> None:
    """Every text cell of every CSV record is in its raw table exactly as delivered,
    except what was rejected, and what the night's erasures purged (the erased people's
    rows; a completed request's customer id and email), as the erasure log counts it."""
    landing = night / "landing"
    text = [c.name for c in entity.columns if c.type == "VARCHAR"]
    raw = _raw_rows(con, entity.table, text)
    rejected = _rejected(con)
    deleted, completed = _erased(con)
    compared = hostile = missing = expected_missing = 0
    for path in _files(landing, entity.source, entity.name):
        header, records = read_csv(path)
        name = _raw_key(raw, landing, path)
        for number, record in enumerate(records, start=1):
            stored = raw.get((name, number))
            if stored is None:
                missing += 1
                continue
            expected = tuple(record[c] if record[c] != "" else None for c in text)
            if entity.name == "erasure_requests" and record["request_id"] in completed:
                scrubbed = ("customer_id", "email")
                expected = tuple(
                    None if c in scrubbed else v for c, v in zip(text, expected, strict=True)
                )
            assert stored == expected, f"{path} record {number}"
            compared += 1
            hostile += any(v and (v in HOSTILE or v.endswith(ID_SUFFIXES)) for v in expected)
        expected_missing += rejected[name]
    expected_missing += deleted.get(f"raw.{entity.table}", 0)
    assert missing == expected_missing, f"{entity.table}: {missing} records not in raw"
    assert compared and hostile, (compared, hostile)


def test_web_events_are_in_raw_byte_for_byte(night: Path, con: Con) -> None:
    """Every JSON line's ids and documents (properties, traits, context) are kept whole;
    only rejected lines and the erased people's events are not in raw."""
    landing = night / "landing"
    fields = ["messageId", "anonymousId", "userId", "event", "properties", "traits", "context"]
    raw = _raw_rows(con, "web__events", fields)
    rejected = _rejected(con)
    deleted, _ = _erased(con)
    seen: set[str] = set()
    missing = expected_missing = 0
    for path in _files(landing, "web", "events"):
        name = _raw_key(raw, landing, path)
        events = read_jsonl(path)
        missing += sum((name, n) not in raw for n in range(1, len(events) + 1))
        expected_missing += rejected[name]
        for number, event in enumerate(events, start=1):
            stored = raw.get((name, number))
            if stored is None:
                continue
            assert stored[:4] == tuple(event.get(f) for f in fields[:4]), f"{path}:{number}"
            for value, field in zip(stored[4:], fields[4:], strict=True):
                document = json.loads(value) if value is not None else None
                assert document == event.get(field), f"{path}:{number} {field}"
            seen.update(_strings(event))
    assert missing == expected_missing + deleted.get("raw.web__events", 0)
    assert set(HOSTILE) <= seen


def _strings(node: Any) -> Iterator[str]:
    """Every string value of a JSON document, nested ones included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def test_store_transactions_are_in_raw_byte_for_byte(night: Path, con: Con) -> None:
    landing = night / "landing"
    text = ["transaction_id", "store_id", "loyalty_id", "product_id"]
    raw = _raw_rows(con, "pos__transactions", text)
    hostile = 0
    for path in _files(landing, "pos", "transactions"):
        name = _raw_key(raw, landing, path)
        for number, row in enumerate(pq.read_table(path).to_pylist(), start=1):
            stored = raw.get((name, number))
            if stored is not None:
                assert stored == tuple(row[c] for c in text), f"{path} row {number}"
                hostile += row["store_id"].endswith(ID_SUFFIXES)
    assert hostile


def _trimmed(value: str | None) -> str | None:
    """The staging models' text normalization: spaces trimmed, empty is null."""
    return (value.strip(" ") or None) if value else None


def _category(value: str | None) -> str | None:
    """``normalize_category``: underscores to spaces, trimmed, lower case, empty is null."""
    return _trimmed(value.replace("_", " ")).lower() if _trimmed(value) else None


def _latest(landing: Path, source: str, entity: str) -> list[dict[str, str]]:
    """The records of a snapshot entity's latest delivery."""
    return read_csv(_files(landing, source, entity)[-1])[1]


def _is_placeholder(email: str | None) -> bool:
    """Whether the placeholder_emails seed makes ``email`` nobody's contact."""
    if email is None:
        return False
    seed = DBT_PROJECT_DIR / "seeds" / "placeholder_emails.csv"
    with seed.open(newline="") as handle:
        rules = {(r["match_type"], r["pattern"]) for r in csv.DictReader(handle)}
    local, _, domain = email.partition("@")
    return bool(
        {("address", email), ("domain", domain), ("local_part", local.split("+")[0])} & rules
    )


def test_dim_customers_carries_the_crm_values(night: Path, con: Con) -> None:
    """Names, city, region, postal code and email of single-record people, exactly."""
    fields = ["first_name", "last_name", "gender", "city", "region", "postal_code"]
    records = {
        r["customer_id"].strip(" "): r for r in _latest(night / "landing", "crm", "customers")
    }
    rows = con.execute(
        f"""
        select customer_id, email, {", ".join(fields)}
        from marts.dim_customers
        where has_crm_record and person_id in (
            select person_id from marts.person_identifiers
            where identifier_type = 'customer_id' group by person_id having count(*) = 1
        )
        """
    ).fetchall()
    assert len(rows) > CUSTOMERS // 2
    hostile = set()
    for customer_id, email, *values in rows:
        record = records[customer_id]
        expected = (_trimmed(record["email"]) or "").lower() or None
        assert email == (None if _is_placeholder(expected) else expected), customer_id
        assert values == [_trimmed(record[f]) for f in fields], customer_id
        hostile.update(v for v in values if v in HOSTILE)
    assert hostile == set(HOSTILE)


def test_dim_products_carries_the_catalogue_values(night: Path, con: Con) -> None:
    """Product names and brands trimmed, categories also lower-cased, nothing else changed."""
    records = {r["product_id"]: r for r in _latest(night / "landing", "shop", "products")}
    rows = con.execute(
        "select product_id, product_name, category, subcategory, brand from marts.dim_products"
    ).fetchall()
    assert {r[0] for r in rows} == set(records)
    for product_id, name, category, subcategory, brand in rows:
        record = records[product_id]
        assert name == record["name"].strip(" "), product_id
        assert category == _category(record["category"]), product_id
        assert subcategory == _category(record["subcategory"]), product_id
        assert brand == _trimmed(record["brand"]), product_id
    assert {_category(v) for v in HOSTILE} <= {r[2] for r in rows}


def test_hostile_ids_join_through_to_the_marts(night: Path, con: Con) -> None:
    """Orders, lines and interactions keyed by hostile ids reach the marts intact."""
    orders = _values(con, "select order_id from marts.fct_orders")
    raw = _values(
        con,
        "select order_id from raw.shop__orders union all "
        "select 'pos-' || transaction_id from raw.pos__transactions",
    )
    assert orders <= raw
    assert {s for s in ID_SUFFIXES if any(o.endswith(s) for o in orders)} == set(ID_SUFFIXES)
    products = {
        r[0]
        for r in con.execute("select distinct product_id from marts.fct_order_items").fetchall()
    }
    assert any(p.endswith(ID_SUFFIXES) for p in products)
    categories = {
        r[0]
        for r in con.execute("select distinct category from staging.stg_web__events").fetchall()
    }
    assert {_category(v) for v in HOSTILE} <= categories
    preferred = _values(con, "select preferred_category from marts.dim_customers")
    preferred.discard(None)
    assert preferred <= _values(con, "select category from marts.dim_products") | categories
    assert preferred & {_category(v) for v in HOSTILE}
    devices = _values(con, "select preferred_device from marts.dim_customers")
    assert devices & {v.lower() for v in HOSTILE}


@pytest.mark.parametrize(
    ("model", "column", "table", "raw_column"),
    [
        ("stg_email__email_events", "event_id", "email__email_events", "event_id"),
        ("stg_email__email_events", "campaign_id", "email__email_events", "campaign_id"),
        ("stg_email__email_events", "message_id", "email__email_events", "message_id"),
        ("stg_email__email_events", "url", "email__email_events", "url"),
        ("stg_privacy__consent", "consent_source", "privacy__consent", "source"),
        ("stg_privacy__erasure_requests", "request_id", "privacy__erasure_requests", "request_id"),
        ("stg_pos__transactions", "store_id", "pos__transactions", "store_id"),
    ],
)
def test_staging_keeps_the_delivered_text(
    con: Con, model: str, column: str, table: str, raw_column: str
) -> None:
    """Columns staging passes through unchanged hold delivered values only, hostile ones too."""
    staged = _values(con, f"select {column} from staging.{model} where {column} is not null")
    raw = _values(con, f'select "{raw_column}" from raw.{table}')
    assert staged and staged <= raw
    assert any(v in HOSTILE or v.endswith(ID_SUFFIXES) for v in staged)


def _values(con: Con, sql: str) -> set[Any]:
    """The distinct values of a one-column query."""
    return {row[0] for row in con.execute(sql).fetchall()}


def _csv_rows(path: Path) -> list[list[str]]:
    """An exported CSV's header and records, as a spreadsheet-neutral reader sees them."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(io.StringIO(fh.read())))


def _neutralised(value: str | None) -> str:
    """A text value as docs/exports.md says the CSV carries it."""
    if value is None:
        return ""
    plain = re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", value) is not None
    return "'" + value if value.startswith(TRIGGERS) and not plain else value


def test_csv_exports_neutralise_formulas_and_parquet_keeps_values(night: Path, con: Con) -> None:
    """Each CSV cell is its Parquet cell, with a leading quote where it starts a formula;
    the Parquet cells are the audience tables' values."""
    folder = night / "exports" / RUN_DATE
    manifest = json.loads((folder / "manifest.json").read_text())
    neutralised = hostile = 0
    for entry in (f for f in manifest["files"] if f["format"] == "parquet"):
        table = pq.read_table(folder / entry["file"])
        rows = [list(r.values()) for r in table.to_pylist()]
        lines = _csv_rows(folder / entry["file"].replace(".parquet", ".csv"))
        assert lines[0] == table.column_names
        assert len(lines) - 1 == len(rows) == entry["rows"]
        text = [i for i, f in enumerate(table.schema) if pa.types.is_string(f.type)]
        for parquet, written in zip(rows, lines[1:], strict=True):
            cells = [(written[i], parquet[i]) for i in text]
            assert [w for w, _ in cells] == [_neutralised(v) for _, v in cells], entry["file"]
            neutralised += sum(w != (v or "") for w, v in cells)
            hostile += sum(v in HOSTILE for _, v in cells)
        if "person_id" in table.column_names:
            audience = entry["audience"]
            stored = {
                r[0]: r
                for r in con.execute(
                    f"select {', '.join(table.column_names)} from audiences.aud_{audience} "
                    "where not is_control"
                ).fetchall()
            }
            person = table.column_names.index("person_id")
            for row in rows:
                assert tuple(row) == stored[row[person]], audience
    assert neutralised and hostile, (neutralised, hostile)
