{#- How a person shops, as of run_date, in ratios that do not grow with how much they
    shop: items per order, revenue per item, the price paid against the catalogue
    price, the share of orders in the app, product views per session. Every known
    person of customer_features; null where there is nothing to divide (no order, no
    session), which is not the same as a ratio of 0. Orders count at
    their gross value whatever their later status, as in the features. The segments
    cluster on these beside the features. -#}
{%- set year_start = dbt.dateadd('day', -364, run_date()) -%}
with

features as (
    select * from {{ ref('customer_features') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where ordered_at >= {{ year_start }} and ordered_at < {{ run_end() }}
),

order_items as (
    select * from {{ ref('fct_order_items') }}
    where ordered_at >= {{ year_start }} and ordered_at < {{ run_end() }}
),

products as (
    select * from {{ ref('dim_products') }}
),

order_totals as (
    select
        person_id,
        count(*) as orders,
        sum(item_count) as items,
        sum(gross_revenue) as revenue,
        count(case when channel = 'app' then 1 end) as app_orders
    from orders
    group by person_id
),

prices as (
    select
        order_items.person_id,
        sum(order_items.unit_price * order_items.quantity) as paid,
        sum(products.price * order_items.quantity) as listed
    from order_items
    inner join products on products.product_id = order_items.product_id
    group by order_items.person_id
),

final as (
    select
        features.person_id,
        cast(order_totals.items * 1.0 / nullif(order_totals.orders, 0)
            as double precision) as items_per_order_365d,
        cast(order_totals.revenue / nullif(order_totals.items, 0)
            as double precision) as revenue_per_item_365d,
        cast(prices.paid / nullif(prices.listed, 0)
            as double precision) as price_paid_ratio_365d,
        cast(order_totals.app_orders * 1.0 / nullif(order_totals.orders, 0)
            as double precision) as app_order_share_365d,
        cast(features.product_views_90d / nullif(features.sessions_90d, 0)
            as double precision) as views_per_session_90d
    from features
    left join order_totals on order_totals.person_id = features.person_id
    left join prices on prices.person_id = features.person_id
)

select * from final
