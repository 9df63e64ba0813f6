{#- Every order and order line loaded into raw, accounted for: in fct_orders and
    fct_order_items, or left out with the reason. Online orders and lines come from
    raw.shop__orders and raw.shop__order_items, store purchases from
    raw.pos__transactions (order id 'pos-' || transaction_id), all through the
    stg_*__delivered_* models, which keep every delivered key whatever its date. A row with outcome
    'unexplained' fails the build (tests/assert_every_raw_order_is_accounted_for.sql). -#}
with

delivered_orders as (
    select * from {{ ref('stg_shop__delivered_orders') }}
),

delivered_order_items as (
    select * from {{ ref('stg_shop__delivered_order_items') }}
),

delivered_transactions as (
    select * from {{ ref('stg_pos__delivered_transactions') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

order_items as (
    select * from {{ ref('fct_order_items') }}
),

components as (
    select * from {{ ref('int_identity_components') }}
),

erased as (
    select * from {{ ref('int_persons_erased') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

erased_nodes as (
    select components.node
    from components
    inner join erased on erased.person_id = components.person_id
),

online_orders as (
    select * from delivered_orders
),

store_orders as (
    select
        'pos-' || transaction_id as order_id,
        min(purchased_at) as ordered_at,
        min(loyalty_id) as loyalty_id
    from delivered_transactions
    group by transaction_id
),

online_outcomes as (
    select
        'order' as record_type,
        online_orders.order_id,
        cast(null as integer) as line_number,
        case
            when orders.order_id is not null then null
            when online_orders.ordered_at >= {{ run_end() }} then 'placed after run_date'
            when erased_nodes.node is not null then 'erased person'
        end as reason,
        orders.order_id is not null as is_in_marts
    from online_orders
    left join orders on orders.order_id = online_orders.order_id
    left join erased_nodes on erased_nodes.node = 'customer_id:' || online_orders.customer_id
),

store_outcomes as (
    select
        'order' as record_type,
        store_orders.order_id,
        cast(null as integer) as line_number,
        case
            when orders.order_id is not null then null
            when store_orders.ordered_at >= {{ run_end() }} then 'placed after run_date'
            when store_orders.loyalty_id is null then 'anonymous store purchase'
            when erased_nodes.node is not null then 'erased person'
            when identifiers.person_id is null
                then 'loyalty card of no known person (unknown or shared by many)'
        end as reason,
        orders.order_id is not null as is_in_marts
    from store_orders
    left join orders on orders.order_id = store_orders.order_id
    left join erased_nodes on erased_nodes.node = 'loyalty_id:' || store_orders.loyalty_id
    left join identifiers
        on identifiers.identifier_type = 'loyalty_id'
        and identifiers.identifier_value = store_orders.loyalty_id
),

order_outcomes as (
    select * from online_outcomes
    union all
    select * from store_outcomes
),

raw_lines as (
    select order_id, line_number
    from delivered_order_items
    union all
    select 'pos-' || transaction_id, line_number
    from delivered_transactions
),

line_outcomes as (
    select
        'line' as record_type,
        raw_lines.order_id,
        raw_lines.line_number,
        case
            when order_items.order_id is not null then null
            when order_outcomes.order_id is null then 'line of an order never delivered'
            when not order_outcomes.is_in_marts then 'order left out: ' || order_outcomes.reason
        end as reason,
        order_items.order_id is not null as is_in_marts
    from raw_lines
    left join order_items
        on order_items.order_id = raw_lines.order_id
        and order_items.line_number = raw_lines.line_number
    left join order_outcomes
        on order_outcomes.record_type = 'order'
        and order_outcomes.order_id = raw_lines.order_id
),

unioned as (
    select * from order_outcomes
    union all
    select * from line_outcomes
),

final as (
    select
        record_type,
        order_id,
        line_number,
        case
            when is_in_marts then 'in_marts'
            when reason is null then 'unexplained'
            else 'excluded'
        end as outcome,
        reason
    from unioned
)

select * from final
