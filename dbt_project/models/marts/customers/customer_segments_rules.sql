{#- Rule-based segments analysts can read at a glance; primary_segment is the first
    that applies in the order below. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

flags as (
    select
        customers.person_id,
        coalesce(rfm.r_score >= 4 and rfm.f_score >= 4 and rfm.m_score >= 4, false)
            as is_vip,
        coalesce(customers.first_order_at >= {{ dbt.dateadd('day', -30, run_date()) }}, false)
            as is_new_customer,
        coalesce(rfm.rfm_segment in ('At Risk', 'Cannot Lose Them', 'About to Sleep'), false)
            as is_at_risk,
        coalesce(rfm.recency_days > 180, false) as is_lapsed,
        customers.lifetime_orders = 0 and customers.product_views_90d > 0 as is_browser,
        customers.engagement_tier = 'dormant' as is_dormant
    from customers
    left join rfm using (person_id)
),

final as (
    select
        *,
        case
            when is_vip then 'vip'
            when is_new_customer then 'new_customer'
            when is_at_risk then 'at_risk'
            when is_lapsed then 'lapsed'
            when is_browser then 'browser'
            when is_dormant then 'dormant'
            else 'active'
        end as primary_segment
    from flags
)

select * from final
