{#- Web, app and store purchases in one table, each with its person. Store purchases
    are POS transactions (order_id 'pos-' || transaction_id) attributed through the
    loyalty card; purchases without a known card have no person and stay out.
    Cancelled and returned orders are flagged and carry no revenue. -#}
with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

item_counts as (
    select order_id, sum(quantity) as item_count
    from order_items
    group by order_id
),

online as (
    select
        orders.order_id,
        identifiers.person_id,
        orders.channel,
        orders.ordered_at,
        orders.status,
        coalesce(item_counts.item_count, 0) as item_count,
        orders.subtotal,
        orders.discount,
        orders.shipping,
        orders.total as gross_revenue
    from orders
    inner join identifiers
        on identifiers.identifier_type = 'customer_id'
        and identifiers.identifier_value = orders.customer_id
    left join item_counts using (order_id)
),

store as (
    select
        'pos-' || transactions.transaction_id as order_id,
        identifiers.person_id,
        'store' as channel,
        min(transactions.purchased_at) as ordered_at,
        'delivered' as status,
        sum(transactions.quantity) as item_count,
        cast(sum(transactions.quantity * transactions.unit_price) as decimal(18, 2)) as subtotal,
        cast(0 as decimal(18, 2)) as discount,
        cast(0 as decimal(18, 2)) as shipping,
        cast(sum(transactions.quantity * transactions.unit_price) as decimal(18, 2))
            as gross_revenue
    from transactions
    inner join identifiers
        on identifiers.identifier_type = 'loyalty_id'
        and identifiers.identifier_value = transactions.loyalty_id
    group by transactions.transaction_id, identifiers.person_id
),

unioned as (
    select * from online
    union all
    select * from store
),

final as (
    select
        order_id,
        person_id,
        channel,
        status,
        item_count,
        subtotal,
        discount,
        shipping,
        gross_revenue,
        case when is_revenue then gross_revenue else cast(0 as decimal(18, 2)) end as revenue,
        status = 'cancelled' as is_cancelled,
        status = 'returned' as is_returned,
        is_revenue,
        cast(ordered_at as date) as order_date,
        ordered_at
    from (
        select *, status not in ('cancelled', 'returned') as is_revenue from unioned
    ) as flagged
)

select * from final
