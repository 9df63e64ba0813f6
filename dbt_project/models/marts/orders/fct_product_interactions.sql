{#- Every view, cart add and purchase of a product by a known person, one row per
    event: the raw material for point-in-time recommendation splits. -#}
with

events as (
    select * from {{ ref('int_events_attributed') }}
),

order_items as (
    select * from {{ ref('fct_order_items') }}
),

cancelled_orders as (
    select order_id from {{ ref('fct_orders') }}
    where is_cancelled
),

final as (
    select
        person_id,
        product_id,
        case event_name when 'Product Viewed' then 'view' else 'cart_add' end
            as interaction_type,
        occurred_at
    from events
    where event_name in ('Product Viewed', 'Product Added') and product_id is not null
    union all
    select person_id, product_id, 'purchase', ordered_at
    from order_items
    where order_id not in (select order_id from cancelled_orders)
)

select * from final
