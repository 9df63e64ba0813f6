"""Erasure everywhere the warehouse keeps data, and for good.

An erasure request names a customer id or an email. The person it reaches is the whole
cluster of the identity graph: every customer id, email, loyalty card and device of
theirs, every order, and every person id the ledger ever gave them. :func:`collect`
finds all of it; :func:`purge` then, in one transaction,

- deletes the person's rows from every ``raw`` table (by the identifiers the extract
  contract declares per entity) and from every table dbt or the models wrote (any
  column whose name says it holds such an identifier, in every schema but ``meta``),
  earlier ``ml.*`` partitions and the person-id ledger included;
- remembers the keyed hash of each identifier in ``meta.erased_identifiers``, so a
  file delivered again later is purged at load (:func:`purge_redelivered`) and the
  person resolves to nobody;
- scrubs the request's own customer id and email, and writes one row per request to
  ``meta.erasure_log`` (request id, when received and completed, what changed; no
  identifier of the person).

The export folders and the MLflow store are cleaned by the caller before
:func:`purge` commits (``pipeline/privacy.py``): if anything fails, the requests stay
pending and the next night does it all again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb

from warehouse.contract import ENTITIES
from warehouse.export.sql import table_exists
from warehouse.privacy.key import keyed_hash_sql

log = logging.getLogger(__name__)

_KEY = "(select key from meta.person_id_key)"

#: Column names that hold an identifier of a person, in the tables dbt and the models
#: write, and which kind of identifier they hold. ``identifier_value`` holds one of any
#: kind (its row's ``identifier_type`` says which).
DERIVED_COLUMNS: Mapping[str, str] = {
    "person_id": "person_id",
    "old_person_id": "person_id",
    "new_person_id": "person_id",
    "customer_id": "customer_id",
    "user_id": "customer_id",
    "linked_customer_id": "customer_id",
    "email": "email",
    "anonymous_id": "anonymous_id",
    "loyalty_id": "loyalty_id",
    "order_id": "order_id",
    "node": "node",
    "linked_node": "node",
    "node_hash": "node_hash",
    "identifier_value": "any",
}

#: Identifier kinds that are nodes of the identity graph (``<kind>:<value>``).
NODE_KINDS = ("customer_id", "email", "loyalty_id", "anonymous_id", "order_id")

#: Tables never purged: the key, the erased hashes and the log identify nobody.
KEPT_TABLES = ("meta.person_id_key", "meta.erased_identifiers", "meta.erasure_log")


def normalized_sql(kind: str, expression: str) -> str:
    """An identifier as the identity graph writes it: emails trimmed and lower-cased."""
    if kind == "email":
        return f"nullif(lower(trim({expression})), '')"
    return f"nullif(trim(cast({expression} as varchar)), '')"


def node_sql(kind: str, expression: str) -> str:
    """The graph node of an identifier, ``'<kind>:<normalized value>'``."""
    return f"'{kind}:' || {normalized_sql(kind, expression)}"


def ensure_privacy_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``meta.erased_identifiers`` and ``meta.erasure_log`` if missing."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create table if not exists meta.erased_identifiers ("
        " identifier_hash varchar not null, erased_on date not null)"
    )
    con.execute(
        "create table if not exists meta.erasure_log ("
        " request_id varchar not null, requested_at timestamptz, first_loaded_at timestamptz,"
        " completed_at timestamptz not null, run_date date not null, changes json not null)"
    )


def contact_hashes(emails: Iterable[str], phones: Iterable[str]) -> set[str]:
    """The SHA-256 of each email, and of each phone with and without its ``+``: how the
    ad platforms' files (Google's E.164, Meta's digits only) name a person."""
    phones = set(phones)
    spelled = set(emails) | phones | {p.removeprefix("+") for p in phones}
    return {hashlib.sha256(v.encode()).hexdigest() for v in spelled}


@dataclass
class ErasureSet:
    """What erasing the pending requests reaches. Held in memory only, never logged.

    Attributes:
        requests: ``(request_id, requested_at, first_loaded_at)`` of each pending request.
        values: Identifier kind -> the erased values of that kind (``person_id``, the
            node kinds, ``node`` and ``node_hash``).
    """

    requests: list[tuple[str, dt.datetime | None, dt.datetime | None]] = field(default_factory=list)
    values: dict[str, set[str]] = field(default_factory=dict)

    @property
    def person_ids(self) -> set[str]:
        """Every person id the erased people have had."""
        return self.values.get("person_id", set())

    def export_tokens(self) -> set[str]:
        """What names the people in an export file: their ids, emails and phones, and
        the SHA-256 of each email and phone as the ad platforms' files carry them
        (E.164 with and without its ``+``)."""
        emails = self.values.get("email", set())
        phones = self.values.get("phone", set())
        spelled = emails | phones | {p.removeprefix("+") for p in phones}
        hashed = contact_hashes(emails, phones)
        return self.person_ids | self.values.get("customer_id", set()) | spelled | hashed

    def __bool__(self) -> bool:
        return bool(self.requests) or bool(self.person_ids)


def collect(con: duckdb.DuckDBPyConnection) -> ErasureSet:
    """Everything the pending erasure requests reach, from the night's identity graph.

    Pending: a request whose customer id or email has not been scrubbed yet (a new
    one, or one delivered again). The people are those of ``int_persons_erased`` (the
    requests' clusters, and anyone holding an identifier erased before).
    """
    erased = ErasureSet()
    if not table_exists(con, "raw", "privacy__erasure_requests"):
        return erased
    erased.requests = con.execute(
        "select request_id, min(requested_at), min(_loaded_at) "
        "from raw.privacy__erasure_requests "
        "where customer_id is not null or email is not null "
        "group by request_id order by request_id"
    ).fetchall()
    nodes = {
        row[0]
        for row in con.execute(
            f"select {node_sql('customer_id', 'customer_id')} from raw.privacy__erasure_requests "
            f"union select {node_sql('email', 'email')} from raw.privacy__erasure_requests"
        ).fetchall()
        if row[0] is not None
    }
    people: set[str] = set()
    if table_exists(con, "intermediate", "int_persons_erased"):
        people = {
            r[0]
            for r in con.execute("select person_id from intermediate.int_persons_erased").fetchall()
        }
        nodes |= {
            r[0]
            for r in con.execute(
                "select node from intermediate.int_identity_components "
                "where person_id in (select person_id from intermediate.int_persons_erased)"
            ).fetchall()
        }
    if not nodes and not people:
        return erased
    con.execute("create or replace temp table _erased_nodes (node varchar)")
    con.execute("insert into _erased_nodes select unnest(?)", [sorted(nodes)])
    orders = (
        con.execute(
            f"select distinct {node_sql('order_id', 'order_id')} from raw.shop__orders where "
            f"{node_sql('customer_id', 'customer_id')} in (select node from _erased_nodes)"
        ).fetchall()
        if table_exists(con, "raw", "shop__orders")
        else []
    )
    con.execute("insert into _erased_nodes select unnest(?)", [[r[0] for r in orders if r[0]]])
    hashes = {
        r[0]
        for r in con.execute(f"select {keyed_hash_sql('node', _KEY)} from _erased_nodes").fetchall()
    }
    if table_exists(con, "intermediate", "int_person_id_ledger"):
        con.execute("create or replace temp table _erased_hashes (h varchar)")
        con.execute("insert into _erased_hashes select unnest(?)", [sorted(hashes)])
        people |= {
            r[0]
            for r in con.execute(
                "select distinct person_id from intermediate.int_person_id_ledger "
                "where node_hash in (select h from _erased_hashes)"
            ).fetchall()
        }
    values: dict[str, set[str]] = {"person_id": people, "node": set(), "node_hash": hashes}
    for (node,) in con.execute("select node from _erased_nodes").fetchall():
        kind, _, value = node.partition(":")
        values["node"].add(node)
        values.setdefault(kind, set()).add(value)
    values["phone"] = _contact(con, "phone")
    values.setdefault("email", set()).update(e.strip().lower() for e in _contact(con, "email"))
    erased.values = values
    return erased


def _contact(con: duckdb.DuckDBPyConnection, column: str) -> set[str]:
    """The erased customers' phones or emails in every CRM record, as delivered and as the
    staging layer normalised them: they name the person in the export files (hashed or
    not) even when the graph of a backfill's date has not seen them yet."""
    found: set[str] = set()
    customer = f"{node_sql('customer_id', 'customer_id')} in (select node from _erased_nodes)"
    for schema, table in (("raw", "crm__customers"), ("staging", "stg_crm__customers")):
        if table_exists(con, schema, table):
            found |= {
                r[0]
                for r in con.execute(
                    f"select distinct {column} from {schema}.{table} "
                    f"where {column} is not null and {customer}"
                ).fetchall()
            }
    return found


def _load_values(con: duckdb.DuckDBPyConnection, erased: ErasureSet) -> None:
    con.execute("create or replace temp table _erased (kind varchar, value varchar)")
    rows = [[kind, v] for kind, vs in sorted(erased.values.items()) for v in sorted(vs)]
    rows += [["any", v] for kind in NODE_KINDS for v in sorted(erased.values.get(kind, ()))]
    con.execute(
        "insert into _erased select unnest(?), unnest(?)",
        [[r[0] for r in rows], [r[1] for r in rows]],
    )


def _deleted(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    result = con.execute(sql).fetchone()
    return int(result[0]) if result else 0


def _purge_raw(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    changed = {}
    for entity in ENTITIES:
        if not entity.identifiers or not table_exists(con, "raw", entity.table):
            continue
        where = " or ".join(
            f"{node_sql(kind, expr)} in (select node from _erased_nodes)"
            for kind, expr in entity.identifiers
        )
        count = _deleted(con, f"delete from raw.{entity.table} where {where}")
        if count:
            changed[f"raw.{entity.table}"] = count
    if table_exists(con, "raw", "_rejects"):
        # A rejected line is kept as delivered text: any of the person's values in it.
        count = _deleted(
            con,
            "delete from raw._rejects where exists (select 1 from _erased where kind in "
            "('customer_id', 'email', 'loyalty_id', 'anonymous_id', 'order_id', 'phone') "
            "and contains(raw._rejects.raw_text, _erased.value))",
        )
        if count:
            changed["raw._rejects"] = count
    return changed


def _purge_derived(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    columns = con.execute(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and c.data_type = 'VARCHAR' "
        "and c.table_schema not in ('raw', 'temp') "
        "and c.table_schema || '.' || c.table_name not in (select unnest(?)) "
        "order by 1, 2, 3",
        [list(KEPT_TABLES)],
    ).fetchall()
    by_table: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in columns:
        if column in DERIVED_COLUMNS:
            by_table.setdefault((schema, table), []).append(column)
    changed = {}
    for (schema, table), cols in by_table.items():
        where = " or ".join(
            f"\"{c}\" in (select value from _erased where kind = '{DERIVED_COLUMNS[c]}')"
            for c in cols
        )
        count = _deleted(con, f'delete from "{schema}"."{table}" where {where}')
        if count:
            changed[f"{schema}.{table}"] = count
    return changed


def purge(
    con: duckdb.DuckDBPyConnection,
    erased: ErasureSet,
    run_date: str,
    *,
    elsewhere: Mapping[str, object] | None = None,
) -> dict[str, int]:
    """Delete the erased people from the warehouse, remember them, log the requests.

    One transaction: it all happens or none of it does.

    Args:
        con: A read-write connection to the warehouse.
        erased: What :func:`collect` found.
        run_date: The night's run date (recorded in the log).
        elsewhere: What the caller changed outside the warehouse (export folders,
            MLflow artifacts), recorded in the log as it is.

    Returns:
        Rows deleted per table.
    """
    ensure_privacy_tables(con)
    changed: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        if erased.values:
            _load_values(con, erased)
            changed = {**_purge_raw(con), **_purge_derived(con)}
            today = dt.date.fromisoformat(run_date)
            con.execute(
                "insert into meta.erased_identifiers select h, ? from (select unnest(?) as h) "
                "where h not in (select identifier_hash from meta.erased_identifiers)",
                [today, sorted(erased.values.get("node_hash", ()))],
            )
        ids = [r[0] for r in erased.requests]
        if ids:
            con.execute(
                "update raw.privacy__erasure_requests set customer_id = null, email = null "
                "where request_id in (select unnest(?))",
                [ids],
            )
        changes = json.dumps(
            {"tables": changed, **(elsewhere or {}), "requests_applied_together": len(ids)},
            sort_keys=True,
        )
        for rid, requested, loaded in erased.requests:
            con.execute(
                "insert into meta.erasure_log values (?, ?, ?, now(), ?, ?)",
                [rid, requested, loaded, run_date, changes],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return changed


def purge_redelivered(con: duckdb.DuckDBPyConnection, loaded_at: dt.datetime) -> dict[str, int]:
    """Delete the rows just loaded that belong to someone erased before.

    A shop may deliver again a file with an erased person in it (a full CRM snapshot,
    a replayed event log): the rows whose identifiers' keyed hashes are in
    ``meta.erased_identifiers`` are dropped as they arrive.

    Args:
        con: The loader's connection.
        loaded_at: The load's timestamp (the ``_loaded_at`` of its rows).

    Returns:
        Rows dropped per raw table.
    """
    ensure_privacy_tables(con)
    if not con.execute("select count(*) from meta.erased_identifiers").fetchone()[0]:
        return {}
    dropped = {}
    for entity in ENTITIES:
        if not entity.identifiers or not table_exists(con, "raw", entity.table):
            continue
        where = " or ".join(
            f"{keyed_hash_sql(node_sql(kind, expr), _KEY)} in "
            "(select identifier_hash from meta.erased_identifiers)"
            for kind, expr in entity.identifiers
        )
        count = int(
            con.execute(
                f"delete from raw.{entity.table} where _loaded_at = ? and ({where})", [loaded_at]
            ).fetchone()[0]
        )
        if count:
            dropped[f"raw.{entity.table}"] = count
            log.warning(
                "raw.%s: %d rows just loaded belong to people erased before; dropped",
                entity.table,
                count,
            )
    return dropped
