"""The injector itself: records survive the rewrite, ids and categories stay consistent."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.hostile.inject import category_of, csv_line, shop_products, web_event
from tests.hostile.strings import HOSTILE, hostile_email, hostile_for, hostile_id


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_every_hostile_value_round_trips_through_a_csv_record(end: str) -> None:
    text = csv_line(["id", *HOSTILE], end) + csv_line(["next", "plain"], end)
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records == [["id", *HOSTILE], ["next", "plain"]]


def test_a_bare_carriage_return_is_quoted() -> None:
    """Python's csv writer leaves it unquoted with LF record ends; a real export does not."""
    assert csv_line(["a\rb", "plain"]) == '"a\rb",plain\n'


def test_every_hostile_value_is_used_and_choices_are_stable() -> None:
    keys = [f"C{n:08d}" for n in range(2 * len(HOSTILE))]
    assert {hostile_for(k, "first_name") for k in keys} - {None} == set(HOSTILE)
    assert [hostile_for(k, "city") for k in keys] == [hostile_for(k, "city") for k in keys]
    assert hostile_for("C00000001", "city") is None
    assert hostile_id("P000002") != "P000002" and hostile_id("P000002").startswith("P000002")
    assert hostile_id("P000003") == "P000003"
    assert hostile_email("  A.B2@mail.example", "a.b2@mail.example").startswith("  ")
    assert hostile_email("a.b2@mail.example", "a.b2@mail.example").endswith("a.b2@mail.example")


def test_web_events_repeat_the_catalogue_category_and_ids() -> None:
    product = {"product_id": "P000002", "name": "n", "category": "shoes", "subcategory": "",
               "brand": "", "price": "1", "is_active": "true", "updated_at": ""}  # fmt: skip
    event = {
        "messageId": "m-2",
        "type": "track",
        "properties": {"product_id": "P000002", "category": "shoes", "order_id": None},
        "traits": {"email": "a.b2@mail.example"},
        "context": {"page": {"url": "https://x", "referrer": None}, "device": {"type": "m"}},
    }
    rewritten = web_event(event)
    assert json.loads(json.dumps(rewritten, ensure_ascii=False)) == rewritten
    catalogue = shop_products(product)
    assert rewritten["properties"]["product_id"] == catalogue["product_id"]
    assert rewritten["properties"]["category"] == catalogue["category"]
    assert catalogue["category"] == category_of("P000002", "shoes") != "shoes"
    assert rewritten["properties"]["order_id"] is None
    assert event["properties"]["category"] == "shoes"
