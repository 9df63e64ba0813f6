{#- Each person's order history in one row: first and last revenue order, counts,
    revenue and the channels ordered through. -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        person_id,
        min(ordered_at) filter (where is_revenue) as first_order_at,
        max(ordered_at) filter (where is_revenue) as last_order_at,
        count(*) filter (where is_revenue) as lifetime_orders,
        sum(revenue) as lifetime_revenue,
        {{ dbt.bool_or("channel = 'web'") }} as has_ordered_web,
        {{ dbt.bool_or("channel = 'app'") }} as has_ordered_app,
        {{ dbt.bool_or("channel = 'store'") }} as has_ordered_store
    from orders
    group by person_id
)

select * from final
