"""Shop products (snapshots), orders and order lines (daily, by status)."""

from __future__ import annotations

import duckdb

from warehouse.synthetic.simulate import World
from warehouse.synthetic.sql import ts, u


def render(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Create ``order_facts`` and the views ``out_shop_products``, ``out_shop_orders``
    and ``out_shop_order_items``."""
    start, end = world.start_day, world.end_day
    con.execute(
        f"""
        create or replace view out_shop_products as
        with p as (
            select *,
                   -- one product in ten is repriced once during the window, and retired
                   -- products are switched off on a day of the window
                   case when {u("product_id", "reprice")} < 0.1 or not is_active
                        then {start} + (hash(product_id, 'chg') % {max(end - start, 1)})::bigint
                   end as change_day
            from products
        )
        select s.extract_day, product_id, name, category, subcategory, brand,
               case when s.extract_day >= change_day and is_active
                    then round(price * 0.85, 2) else price end::varchar as price,
               case when s.extract_day >= change_day then is_active else true end as is_active,
               case when s.extract_day >= change_day
                    then strftime(to_timestamp(change_day * 86400 + 3600), '%Y-%m-%dT%H:%M:%SZ')
                    else strftime(to_timestamp({(start - 400) * 86400}), '%Y-%m-%dT%H:%M:%SZ')
               end as updated_at,
               product_id as _key
        from p, snapshot_days s
        """
    )
    # Orders: web and app orders; history before the first extract date arrives with
    # the first delivery; final statuses are re-delivered later with a new updated_at.
    con.execute(
        f"""
        create or replace table order_facts as
        select o.chunk, o.order_seq, o.person, o.order_seconds, o.order_day, o.is_store,
               o.is_app, o.status,
               'O' || lpad(o.chunk::varchar, 4, '0') || lpad(o.order_seq::varchar, 8, '0')
                   as order_id,
               -- integer cents: a float sum would depend on the order of additions
               sum(round(l.quantity * l.unit_price * 100)::bigint) / 100 as subtotal,
               count(*) as n_lines
        from orders o join lines l using (chunk, order_seq)
        where o.order_day <= {end}
        group by all
        order by o.chunk, o.order_seq
        """
    )
    con.execute(
        f"""
        create or replace view order_versions as
        with f as (
            select *, order_day + case status when 'cancelled' then 1 when 'returned' then 12
                                              else 3 end as final_day
            from order_facts where not is_store
        )
        -- placed on the order day (orders from before the first extract date that are
        -- still open arrive with the first delivery) ...
        select *, greatest(order_day, {start}) as extract_day, 'placed' as version_status,
               order_seconds as updated_s
        from f where final_day >= {start}
        union all
        -- ... re-delivered as shipped the next day ...
        select *, order_day + 1, 'shipped', (order_day + 1) * 86400 + 30000
        from f
        where status <> 'cancelled' and order_day + 1 between {start} and {end}
        union all
        -- ... and with the final status later; closed history arrives as a backfill
        select *, greatest(final_day, {start}), status, final_day * 86400 + 43200
        from f where final_day <= {end}
        """
    )
    con.execute(
        f"""
        create or replace view out_shop_orders as
        select extract_day, order_id,
               'C' || lpad(person::varchar, 8, '0') as customer_id,
               case when {u("order_id", "badts")} < 0.0005 and version_status = 'placed'
                    then 'not-a-date' else {ts("order_seconds", "ots")} end as order_ts,
               case when is_app then 'app' else 'web' end as channel,
               'EUR' as currency,
               round(subtotal, 2)::varchar as subtotal,
               round(case when subtotal > 100 then subtotal * 0.1 else 0 end, 2)::varchar
                   as discount,
               case when subtotal < 50 then '4.99' else '0.00' end as shipping,
               case when {u("order_id", "badtot")} < 0.0005 and version_status = 'placed'
                    then 'N/A'
                    else round(subtotal - case when subtotal > 100 then subtotal * 0.1 else 0 end
                               + case when subtotal < 50 then 4.99 else 0 end, 2)::varchar
               end as total,
               version_status as status,
               strftime(to_timestamp(updated_s), '%Y-%m-%dT%H:%M:%SZ') as updated_at,
               order_id || version_status as _key
        from order_versions
        """
    )
    con.execute(
        f"""
        create or replace view out_shop_order_items as
        select greatest(f.order_day, {start}) as extract_day, f.order_id, l.line_number,
               p.product_id,
               case when {u("f.order_id || l.line_number", "neg")} < 0.001 then '-1'
                    else l.quantity::varchar end as quantity,
               case when {u("f.order_id || l.line_number", "badprice")} < 0.0005 then 'n/a'
                    else l.unit_price::varchar end as unit_price,
               f.order_id || lpad(l.line_number::varchar, 4, '0') as _key
        from order_facts f join lines l using (chunk, order_seq)
        join products_idx p on p.idx = l.product
        where not f.is_store
        """
    )
