{#- An order's lines never add up to more than the order: store orders are built from
    their lines, and an online order's lines can only fall short of its subtotal when
    some were quarantined by the loader (raw._rejects), never exceed it (a cent of
    rounding per line allowed). -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
),

lines as (
    select order_id, sum(line_revenue) as line_total, count(*) as lines
    from {{ ref('fct_order_items') }}
    group by order_id
)

select orders.order_id, orders.channel, orders.subtotal, lines.line_total
from orders
inner join lines using (order_id)
where lines.line_total > orders.subtotal + 0.01 * lines.lines
   or (orders.channel = 'store' and lines.line_total <> orders.subtotal)
