{#- The customer 360: one row per known person, joining the person's golden record,
    consents, order history, activity and preferences (models/intermediate/customers/)
    and deriving the engagement tier. -#}
with

people as (
    select * from {{ ref('int_persons_known') }}
),

golden as (
    select * from {{ ref('int_customers_merged') }}
),

consents as (
    select * from {{ ref('int_customers_consented') }}
),

orders as (
    select * from {{ ref('int_customers_ordered') }}
),

activity as (
    select * from {{ ref('int_customers_engaged') }}
),

preferences as (
    select * from {{ ref('int_customers_preferred') }}
),

{#- A person with no CRM record is known by the customer ids their orders or email
    events carry: the smallest stands in for the CRM's. -#}
seen_customer_ids as (
    select person_id, min(identifier_value) as customer_id
    from {{ ref('int_identifiers_resolved') }}
    where identifier_type = 'customer_id'
    group by person_id
),

final as (
    select
        people.person_id,
        coalesce(golden.customer_id, seen_customer_ids.customer_id) as customer_id,
        golden.person_id is not null as has_crm_record,
        golden.email,
        golden.phone,
        golden.first_name,
        golden.last_name,
        golden.birth_date,
        golden.gender,
        golden.city,
        golden.region,
        golden.country,
        golden.postal_code,
        golden.loyalty_id,
        coalesce(golden.created_at, people.first_seen_at) as created_at,
        coalesce(consents.has_email_consent, false) as has_email_consent,
        coalesce(consents.has_sms_consent, false) as has_sms_consent,
        coalesce(consents.has_ads_consent, false) as has_ads_consent,
        coalesce(consents.has_personalization_consent, false) as has_personalization_consent,
        orders.first_order_at,
        orders.last_order_at,
        coalesce(orders.lifetime_orders, 0) as lifetime_orders,
        cast(coalesce(orders.lifetime_revenue, 0) as decimal(18, 2)) as lifetime_revenue,
        cast(coalesce(orders.lifetime_revenue / nullif(orders.lifetime_orders, 0), 0)
            as decimal(18, 2)) as avg_order_value,
        coalesce(orders.has_ordered_web, false) as has_ordered_web,
        coalesce(orders.has_ordered_app, false) as has_ordered_app,
        coalesce(orders.has_ordered_store, false) as has_ordered_store,
        greatest(activity.last_seen_at, orders.last_order_at) as last_seen_at,
        coalesce(activity.sessions_30d, 0) as sessions_30d,
        coalesce(activity.sessions_90d, 0) as sessions_90d,
        coalesce(activity.product_views_30d, 0) as product_views_30d,
        coalesce(activity.product_views_90d, 0) as product_views_90d,
        coalesce(activity.cart_adds_90d, 0) as cart_adds_90d,
        coalesce(activity.email_opens_90d, 0) as email_opens_90d,
        coalesce(activity.email_clicks_90d, 0) as email_clicks_90d,
        preferences.preferred_category,
        preferences.preferred_device,
        preferences.preferred_email_hour,
        case
            when orders.last_order_at >= {{ dbt.dateadd('day', -30, run_date()) }}
                or coalesce(activity.sessions_30d, 0) >= 3 then 'high'
            when orders.last_order_at >= {{ dbt.dateadd('day', -90, run_date()) }}
                or coalesce(activity.sessions_90d, 0) > 0
                or coalesce(activity.email_clicks_90d, 0) > 0 then 'medium'
            when orders.last_order_at >= {{ dbt.dateadd('day', -365, run_date()) }}
                or coalesce(activity.email_opens_90d, 0) > 0 then 'low'
            else 'dormant'
        end as engagement_tier
    from people
    left join golden on golden.person_id = people.person_id
    left join seen_customer_ids on seen_customer_ids.person_id = people.person_id
    left join consents on consents.person_id = people.person_id
    left join orders on orders.person_id = people.person_id
    left join activity on activity.person_id = people.person_id
    left join preferences on preferences.person_id = people.person_id
)

select * from final
