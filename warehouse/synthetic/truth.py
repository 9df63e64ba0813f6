"""The ground truth of a sample: personas, identifiers and the orders to come.

Written to ``<out>/_truth/``, never part of the landing layout, so the pipeline's
identity resolution, churn scores and recommendations can be measured against what
really happened.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from warehouse.synthetic.simulate import HORIZON_DAYS, World


def write_truth(con: duckdb.DuckDBPyConnection, world: World, out: Path) -> None:
    """Ground truth for measuring the models; never part of the landing layout."""
    truth = out / "_truth"
    if truth.exists():
        shutil.rmtree(truth)
    truth.mkdir(parents=True)
    end = world.end_day
    con.execute(
        f"""
        create or replace view truth_future_orders as
        select f.person, f.order_seconds, l.product
        from orders f join lines l using (chunk, order_seq)
        where f.order_day > {end} and f.order_day <= {end + HORIZON_DAYS}
        """
    )
    con.execute(
        f"""
        copy (
            select 'K' || lpad(person::varchar, 8, '0') as person_key, persona,
                   churn_probability,
                   exists (select 1 from orders o where o.person = p.person
                           and o.order_day > {end} and o.order_day <= {end + HORIZON_DAYS})
                       as ordered_next_90d
            from people p order by person
        ) to '{truth / "people.parquet"}' (format parquet)
        """
    )
    con.execute(
        f"""
        copy (
            select distinct 'K' || lpad(person::varchar, 8, '0') as person_key,
                   t.identifier_type, t.identifier_value
            from (
                select person, 'customer_id' as identifier_type, customer_id as identifier_value
                from crm_rendered
                union all
                -- the shared test address identifies nobody
                select person, 'email', email from crm_rendered
                where email is not null and email <> 'test@example.com'
                union all
                select person, 'loyalty_id', loyalty_id from crm_rendered
                where loyalty_id is not null
                union all
                select distinct w.person, 'anonymous_id',
                       'a-' || left(md5(w.person::varchar || '-' || w.device_slot::varchar), 20)
                from web_sessions w
                union all
                select distinct person, 'anonymous_id',
                       'a-' || left(md5(person::varchar || '-0'), 20)
                from order_facts
                where not is_store and order_day >= {world.start_day}
            ) t
            order by 1, 2, 3
        ) to '{truth / "identifiers.parquet"}' (format parquet)
        """
    )
    con.execute(
        f"""
        copy (
            select 'K' || lpad(f.person::varchar, 8, '0') as person_key,
                   to_timestamp(f.order_seconds) as order_ts, p.product_id
            from truth_future_orders f join products_idx p on p.idx = f.product
            order by 1, 2, 3
        ) to '{truth / "future_orders.parquet"}' (format parquet)
        """
    )
