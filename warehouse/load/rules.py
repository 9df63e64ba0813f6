"""The extract contract's row rules as SQL over the staged rows (``_src``).

Validation is set-based: each rule is a condition on ``_src`` and the SQL of its
reject reason, so one scan finds the rows that break any rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from warehouse.contract import Column, Entity
from warehouse.load.sql import literal, quote

_TYPE_NAMES = {
    "TIMESTAMPTZ": "an ISO 8601 timestamp",
    "DATE": "a date",
    "DOUBLE": "a number",
    "INTEGER": "an integer",
    "BOOLEAN": "a boolean",
    "JSON": "a JSON object",
}


@dataclass(frozen=True)
class Rule:
    """One contract rule.

    Attributes:
        column: The column it checks (``a|b`` for a one-of group).
        condition: SQL over ``_src``, true on a row that breaks the rule.
        reason: SQL of the reject reason for such a row.
    """

    column: str
    condition: str
    reason: str


def type_hint(col: Column) -> str:
    """Human name of a contract type, for reject reasons."""
    return _TYPE_NAMES.get(col.type, col.type)


def typed(col: Column, json_checked: bool = False) -> str:
    """SQL for the value of ``col`` in ``_src`` cast to its contract type (NULL if blank).

    Args:
        col: The contract column.
        json_checked: JSON values come from an already parsed JSON line, so they are
            known to be valid JSON and need no second parse.
    """
    raw = _blank_is_null(col.name)
    if col.type == "VARCHAR":
        return f"_src.{quote(col.name)}"
    if col.type == "JSON":
        if json_checked:
            return f"_src.{quote(col.name)}"
        return f"case when json_valid({raw}) then {raw}::json end"
    return f"try_cast({raw} as {col.type})"


def _blank_is_null(name: str) -> str:
    return f"nullif(trim(_src.{quote(name)}), '')"


def violations(
    ent: Entity, present: set[str], json_checked: bool, earliest: dt.date | None = None
) -> list[Rule]:
    """Every contract rule of ``ent`` that applies to the delivered columns.

    Args:
        ent: The contract entity.
        present: The contract columns the file delivers; rules on the others are moot.
        json_checked: The rows come from parsed JSON lines (see :func:`typed`).
        earliest: A timestamp before this day (UTC) is rejected: year 0001 or 1900 is a
            placeholder or an error, never an event the shop saw.
    """
    rules: list[Rule] = []
    for col in ent.columns:
        if col.name not in present:
            continue
        raw = _blank_is_null(col.name)
        value = typed(col, json_checked)
        if col.required:
            rules.append(Rule(col.name, f"{raw} is null", "'missing required value'"))
        if col.type == "JSON":
            if not json_checked:
                rules.append(
                    Rule(col.name, f"{raw} is not null and {value} is null", "'not valid JSON'")
                )
            continue
        if col.type != "VARCHAR":
            rules.append(
                Rule(
                    col.name,
                    f"{raw} is not null and {value} is null",
                    f"'cannot read ' || {literal(type_hint(col))} || ' from ' || {raw}",
                )
            )
        if col.type == "TIMESTAMPTZ" and earliest is not None:
            rules.append(
                Rule(
                    col.name,
                    f"{value} < {literal(earliest.isoformat())}::timestamptz",
                    f"'timestamp ' || {raw} || ' before the earliest accepted date "
                    f"{earliest.isoformat()}'",
                )
            )
        if col.accepted:
            allowed = ", ".join(literal(a.lower()) for a in col.accepted)
            rules.append(
                Rule(
                    col.name,
                    f"{raw} is not null and lower({raw}) not in ({allowed})",
                    f"'value ' || {raw} || ' not in ({', '.join(col.accepted)})'",
                )
            )
        if col.min_value is not None:
            rules.append(
                Rule(
                    col.name,
                    f"{value} < {col.min_value}",
                    f"'value ' || {raw} || ' below minimum {col.min_value:g}'",
                )
            )
    for group in ent.one_of:
        cols = [c for c in group if c in present]
        cond = " and ".join(f"{_blank_is_null(c)} is null" for c in cols) or "true"
        rules.append(Rule("|".join(group), cond, f"'needs one of {', '.join(group)}'"))
    return rules
