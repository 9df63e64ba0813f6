"""Withdrawn consent and suppression reach the export folders published before.

The night's files leave out whoever may not be sent to on a channel; the folders of
earlier nights still list them. :func:`new_withdrawals` finds the people of
``marts.contact_withdrawals`` not yet taken out of earlier folders
(``meta.withdrawals_applied``), with every id the ledger ever gave them and the hashes
an ads file names them by; :func:`record_applied` remembers them once their folders
are rewritten.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from warehouse.export.sql import table_exists
from warehouse.privacy.erase import contact_hashes


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``meta.withdrawals_applied`` if missing (scanned by erasures like any table)."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create table if not exists meta.withdrawals_applied ("
        " person_id varchar not null, channel varchar not null, applied_on date not null)"
    )


def new_withdrawals(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, set[str]], list[tuple]]:
    """Tokens per channel of the people withdrawn since the last time, and their rows.

    Returns:
        (channel -> tokens to remove from that channel's files, the
        ``(person_id, channel)`` pairs to record once done).
    """
    ensure_table(con)
    if not table_exists(con, "marts", "contact_withdrawals"):
        return {}, []
    rows = con.execute(
        """
        with fresh as (
            select w.* from marts.contact_withdrawals w
            anti join meta.withdrawals_applied a using (person_id, channel)
        ),
        history as (
            select distinct components.person_id, ledger.person_id as past_id
            from intermediate.int_identity_components components
            join intermediate.int_identity_clusters clusters using (node)
            join intermediate.int_person_id_ledger ledger using (node_hash)
            where components.person_id in (select person_id from fresh)
        )
        select fresh.person_id, fresh.channel, fresh.email, fresh.phone,
               list(distinct history.past_id) filter (where history.past_id is not null)
        from fresh left join history using (person_id)
        group by all
        order by 1, 2
        """
    ).fetchall()
    tokens: dict[str, set[str]] = {}
    for person_id, channel, email, phone, past_ids in rows:
        found = tokens.setdefault(channel, set())
        found |= {person_id, *(past_ids or [])}
        found |= contact_hashes([email] if email else [], [phone] if phone else [])
    return tokens, [(person_id, channel) for person_id, channel, *_ in rows]


def record_applied(con: duckdb.DuckDBPyConnection, pairs: list[tuple], run_date: str) -> None:
    """Remember that these people are out of the earlier folders of these channels."""
    ensure_table(con)
    day = dt.date.fromisoformat(run_date)
    # Someone who consented again is forgotten here, so a later withdrawal counts anew.
    con.execute(
        "delete from meta.withdrawals_applied where (person_id, channel) not in "
        "(select (person_id, channel) from marts.contact_withdrawals)"
    )
    con.execute(
        "insert into meta.withdrawals_applied select unnest(?), unnest(?), ?",
        [[p for p, _ in pairs], [c for _, c in pairs], day],
    )
