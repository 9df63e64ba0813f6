"""Store purchases: one row per line, some with the store's default loyalty card."""

from __future__ import annotations

import duckdb

from warehouse.synthetic.simulate import World
from warehouse.synthetic.sql import u


def render(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Create the view ``out_pos_transactions`` (needs ``order_facts``, ``crm_records``)."""
    start = world.start_day
    con.execute(
        f"""
        create or replace view out_pos_transactions as
        select greatest(f.order_day, {start}) as extract_day,
               'T' || substr(f.order_id, 2) as transaction_id,
               l.line_number::int as line_number,
               'S' || lpad((hash(f.person, 'store') % {world.store_count})::varchar, 3, '0')
                   as store_id,
               case when c.loyalty_id is not null and {u("f.order_id", "card")} >= 0.2
                        then c.loyalty_id
                    when {u("f.order_id", "dflt")} < 0.05 then 'L99999999'
               end as loyalty_id,
               strftime(to_timestamp(f.order_seconds), '%Y-%m-%dT%H:%M:%SZ') as transaction_ts,
               p.product_id,
               case when {u("f.order_id || l.line_number", "neg")} < 0.001 then -1
                    else l.quantity end::int as quantity,
               l.unit_price as unit_price,
               f.order_id || lpad(l.line_number::varchar, 4, '0') as _key
        from order_facts f join lines l using (chunk, order_seq)
        join products_idx p on p.idx = l.product
        left join (select person, loyalty_id from crm_records where not is_duplicate) c
            using (person)
        where f.is_store
        """
    )
