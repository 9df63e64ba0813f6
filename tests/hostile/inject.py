"""Rewrite a generated landing folder so that every text field carries hostile strings.

The sample stays valid against the extract contract: required values stay present,
accepted sets, numbers and timestamps are untouched, identifiers change the same way in
every entity that carries them (a customer id in the CRM, its orders, email events and
consents), and a product's category is the same in the catalogue and in web events.
CSV files are written back with Python's csv module (fields with quotes, commas or line
breaks quoted), JSON lines with ``json.dumps``, Parquet with pyarrow, gzip kept.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.hostile.strings import ID_SUFFIXES, hostile_email, hostile_for, hostile_id, number

Row = dict[str, str]


def _text(row: Row, key: str, field: str) -> str:
    """The field's hostile value for the record keyed ``key``, or its own value."""
    value = row.get(field) or ""
    hostile = hostile_for(key, field)
    return value if hostile is None or not value and field != "region" else hostile


def _email(value: str | None) -> str | None:
    """An address with its hostile local-part prefix, keyed by the normalized address."""
    return hostile_email(value, value.strip().lower()) if value else value


def _id(value: str | None) -> str | None:
    """An identifier with its hostile suffix; an empty one stays empty."""
    return hostile_id(value) if value else value


def category_of(product_id: str, category: str | None) -> str | None:
    """A product's category as the rewritten catalogue has it (web events repeat it)."""
    hostile = hostile_for(product_id, "category")
    return category if hostile is None or not category else hostile


def crm_customers(row: Row) -> Row:
    """Names, gender, city, region and postal code by customer id; ids and email."""
    key = row["customer_id"]
    out = dict(row)
    for field in ("first_name", "last_name", "gender", "city", "region", "postal_code"):
        out[field] = _text(row, key, field)
    out["customer_id"] = _id(row["customer_id"])
    out["loyalty_id"] = _id(row["loyalty_id"])
    out["email"] = _email(row["email"])
    return out


def shop_products(row: Row) -> Row:
    """Name, category, subcategory and brand by product id; the product id."""
    key = row["product_id"]
    out = dict(row)
    for field in ("name", "subcategory", "brand"):
        out[field] = _text(row, key, field)
    out["category"] = category_of(key, row["category"])
    out["product_id"] = _id(key)
    return out


def shop_orders(row: Row) -> Row:
    """The order and customer ids."""
    return {**row, "order_id": _id(row["order_id"]), "customer_id": _id(row["customer_id"])}


def shop_order_items(row: Row) -> Row:
    """The order and product ids."""
    return {**row, "order_id": _id(row["order_id"]), "product_id": _id(row["product_id"])}


def pos_transactions(row: dict[str, Any]) -> dict[str, Any]:
    """Transaction, store, loyalty card and product ids."""
    return {
        **row,
        "transaction_id": _id(row["transaction_id"]),
        "store_id": _id(row["store_id"]),
        "loyalty_id": _id(row["loyalty_id"]),
        "product_id": _id(row["product_id"]),
    }


def email_events(row: Row) -> Row:
    """Event, message, campaign and customer ids, the address and the clicked url."""
    out = {
        **row,
        "event_id": _id(row["event_id"]),
        "message_id": _id(row["message_id"]),
        "campaign_id": _id(row["campaign_id"]),
        "customer_id": _id(row["customer_id"]),
        "email": _email(row["email"]),
    }
    out["url"] = _text(row, row["event_id"], "url") if row["url"] else ""
    return out


def privacy_consent(row: Row) -> Row:
    """Customer id, address and the consent's source."""
    key = row["customer_id"] or row["email"]
    return {
        **row,
        "customer_id": _id(row["customer_id"]),
        "email": _email(row["email"]),
        "source": _text(row, key, "source"),
    }


def privacy_erasure_requests(row: Row) -> Row:
    """Request id, customer id and address."""
    # Requests are few: every request id gets a suffix.
    suffix = ID_SUFFIXES[number(row["request_id"]) % len(ID_SUFFIXES)]
    return {
        **row,
        "request_id": row["request_id"] + suffix,
        "customer_id": _id(row["customer_id"]),
        "email": _email(row["email"]),
    }


def _swap(document: dict[str, Any] | None, path: tuple[str, ...], value: Callable) -> None:
    """Replace a nested string value in place with ``value(old)``, when it is present."""
    node = document
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get(path[-1]), str):
        node[path[-1]] = value(node[path[-1]])


def web_event(event: dict[str, Any]) -> dict[str, Any]:
    """A Segment event with hostile ids, properties, traits and context."""
    key = event["messageId"]

    def text(field: str) -> Callable[[str], str]:
        return lambda old: hostile_for(key, field) or old

    event = json.loads(json.dumps(event))
    props = event.get("properties")
    original_product = props.get("product_id") if isinstance(props, dict) else None
    for name in ("messageId", "anonymousId", "userId"):
        if isinstance(event.get(name), str):
            event[name] = hostile_id(event[name])
    if isinstance(props, dict):
        if original_product is not None and props.get("category") is not None:
            props["category"] = category_of(original_product, props["category"])
        _swap(props, ("product_id",), hostile_id)
        _swap(props, ("order_id",), hostile_id)
        _swap(props, ("query",), text("query"))
        _swap(props, ("url",), text("url"))
    traits = event.get("traits")
    if isinstance(traits, dict):
        _swap(traits, ("email",), lambda old: _email(old))
        traits["name"] = hostile_for(key, "traits.name") or "Plain Name"
    for path in (
        ("page", "url"),
        ("page", "referrer"),
        ("userAgent",),
        ("device", "type"),
        ("ip",),
        ("campaign", "source"),
        ("campaign", "medium"),
        ("campaign", "name"),
        ("locale",),
    ):
        _swap(event.get("context"), path, text("context." + ".".join(path)))
    return event


CSV_ENTITIES: dict[str, Callable[[Row], Row]] = {
    "crm/customers": crm_customers,
    "shop/products": shop_products,
    "shop/orders": shop_orders,
    "shop/order_items": shop_order_items,
    "email/email_events": email_events,
    "privacy/consent": privacy_consent,
    "privacy/erasure_requests": privacy_erasure_requests,
}


def _open_text(path: Path, mode: str) -> io.TextIOBase:
    """A text handle on a plain or gzipped extract, UTF-8, line ends untranslated."""
    opener = gzip.open if path.name.endswith(".gz") else open
    return opener(path, mode + "t", encoding="utf-8", newline="")


def read_csv(path: Path) -> tuple[list[str], list[Row]]:
    """A CSV extract's header and records (Python's csv module, quoted fields honoured)."""
    with _open_text(path, "r") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _document(line: str) -> dict[str, Any] | str:
    """A JSON line parsed, or the line itself when it does not parse."""
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return line


def read_jsonl(path: Path) -> list[dict[str, Any] | str]:
    """A JSON-lines extract's lines in file order: parsed, or as text when broken."""
    with _open_text(path, "r") as fh:
        return [_document(line) for line in fh.read().split("\n") if line.strip()]


def csv_line(fields: list[str], end: str = "\n") -> str:
    """One CSV record: a field holding a quote, comma, CR or LF is quoted.

    Python's csv writer leaves a bare CR unquoted when records end in LF; a real export
    quotes it, and that is the case under test.
    """
    cells = [
        '"' + field.replace('"', '""') + '"' if any(c in field for c in '",\r\n') else field
        for field in fields
    ]
    return ",".join(cells) + end


def _rewrite_csv(path: Path, change: Callable[[Row], Row]) -> None:
    """Rewrite a CSV extract; files of every second day end their records in CRLF."""
    header, rows = read_csv(path)
    end = "\r\n" if int(path.parent.name[-2:]) % 2 else "\n"
    with _open_text(path, "w") as fh:
        fh.write(csv_line(header, end))
        for row in rows:
            new = change(row)
            fh.write(csv_line([new[name] or "" for name in header], end))


def _rewrite_jsonl(path: Path) -> None:
    """Rewrite a web events file, UTF-8 written as is (not as escapes)."""
    events = read_jsonl(path)
    with _open_text(path, "w") as fh:
        for event in events:
            # A broken line stays as delivered: the loader rejects it either way.
            if not isinstance(event, str):
                event = json.dumps(web_event(event), ensure_ascii=False)
            fh.write(event + "\n")


def _rewrite_parquet(path: Path) -> None:
    """Rewrite a store transactions file with its own schema."""
    table = pq.read_table(path)
    rows = [pos_transactions(row) for row in table.to_pylist()]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def inject(landing: Path) -> dict[str, int]:
    """Rewrite every extract below ``landing`` in place; return the files per entity."""
    counts: dict[str, int] = {}
    for path in sorted(landing.glob("*/*/*")):
        source = path.parent.parent.name
        if source.startswith("_"):
            continue
        entity = f"{source}/{path.name.split('.')[0]}"
        if entity in CSV_ENTITIES:
            _rewrite_csv(path, CSV_ENTITIES[entity])
        elif entity == "web/events":
            _rewrite_jsonl(path)
        elif entity == "pos/transactions":
            _rewrite_parquet(path)
        else:
            raise ValueError(f"no hostile rewrite for {path}")
        counts[entity] = counts.get(entity, 0) + 1
    return counts
