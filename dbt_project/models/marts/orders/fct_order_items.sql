with

orders as (
    select * from {{ ref('fct_orders') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

lines as (
    select order_id, line_number, product_id, quantity, unit_price from order_items
    union all
    select 'pos-' || transaction_id, line_number, product_id, quantity, unit_price
    from transactions
),

final as (
    select
        lines.order_id,
        lines.line_number,
        orders.person_id,
        lines.product_id,
        coalesce(products.category, 'unknown') as category,
        lines.quantity,
        lines.unit_price,
        cast(lines.quantity * lines.unit_price as decimal(18, 2)) as line_revenue,
        orders.is_revenue,
        orders.ordered_at
    from lines
    inner join orders using (order_id)
    left join products using (product_id)
)

select * from final
