"""The extract contract in code agrees with its documentation and with DESIGN's table."""

from __future__ import annotations

import re

import pytest

from warehouse.contract import ENTITIES, entity
from warehouse.settings import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "extract_contract.md").read_text()


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.key)
def test_documented_columns_match_the_code(ent) -> None:
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `{ent.key}`"))
    documented = row.split("|")[3]
    for col in ent.columns:
        assert re.search(rf"\b{col.name}\b", documented), col.name
    for col in ent.columns:
        if col.required:
            assert f"{col.name}*" in documented, col.name


def test_required_entities_are_crm_customers_and_the_shop() -> None:
    assert {e.key for e in ENTITIES if e.required} == {
        "crm/customers",
        "shop/products",
        "shop/orders",
        "shop/order_items",
    }


def test_lookup_is_case_insensitive_and_fails_loudly() -> None:
    orders = entity("shop", "orders")
    assert orders.column("ORDER_TS").type == "TIMESTAMPTZ"
    assert orders.table == "shop__orders"
    with pytest.raises(KeyError, match="no column"):
        orders.column("nope")
    with pytest.raises(KeyError, match="no entity"):
        entity("shop", "returns")


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.key)
def test_record_keys_are_required_columns(ent) -> None:
    """A key the loader checks for repeats must be present on every valid row."""
    for name in ent.record_key:
        assert ent.column(name).required, f"{ent.key}: {name}"
    assert len(set(ent.record_key)) == len(ent.record_key)


def test_every_entity_with_an_id_has_a_record_key() -> None:
    keyless = {e.key for e in ENTITIES if not e.record_key}
    assert keyless == {"privacy/consent"}
