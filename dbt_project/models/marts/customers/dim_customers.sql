{#- The customer 360: one row per known person.
    Survivorship of the golden record, per attribute: the most recently updated CRM
    record with a value wins (ties: the later customer id); customer_id and created_at
    come from the person's oldest CRM record. Consent fails closed: a channel counts as
    consented only when the latest record for it is a grant; a revoke at the same
    instant wins. -#}
with

people as (
    select * from {{ ref('int_persons_known') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

crm as (
    select identifiers.person_id, customers.*
    from {{ ref('stg_crm__customers') }} as customers
    inner join identifiers
        on identifiers.identifier_type = 'customer_id'
        and identifiers.identifier_value = customers.customer_id
),

golden as (
    select
        person_id,
        arg_min(customer_id, created_at) as customer_id,
        min(created_at) as created_at,
        {%- for column in ['email', 'phone', 'first_name', 'last_name', 'birth_date', 'gender',
                           'city', 'region', 'country', 'postal_code', 'loyalty_id'] %}
        arg_max({{ column }}, (updated_at, customer_id)) filter (where {{ column }} is not null)
            as {{ column }},
        {%- endfor %}
    from crm
    group by person_id
),

consent_records as (
    select
        coalesce(by_customer.person_id, by_email.person_id) as person_id,
        consent.channel,
        consent.status,
        consent.recorded_at,
    from {{ ref('stg_privacy__consent') }} as consent
    left join identifiers as by_customer
        on by_customer.identifier_type = 'customer_id'
        and by_customer.identifier_value = consent.customer_id
    left join identifiers as by_email
        on by_email.identifier_type = 'email'
        and by_email.identifier_value = consent.email
),

consent as (
    select
        person_id,
        channel,
        arg_max(status = 'granted', (recorded_at, status = 'revoked')) as is_granted,
    from consent_records
    where person_id is not null
    group by person_id, channel
),

orders as (
    select
        person_id,
        min(ordered_at) filter (where is_revenue) as first_order_at,
        max(ordered_at) filter (where is_revenue) as last_order_at,
        count(*) filter (where is_revenue) as lifetime_orders,
        sum(revenue) as lifetime_revenue,
        bool_or(channel = 'web') as has_ordered_web,
        bool_or(channel = 'app') as has_ordered_app,
        bool_or(channel = 'store') as has_ordered_store,
    from {{ ref('fct_orders') }}
    group by person_id
),

activity as (
    select
        person_id,
        max(last_seen_at) as last_seen_at,
        sum(sessions) filter (where activity_date > {{ dbt.dateadd('day', -30, run_date()) }})
            as sessions_30d,
        sum(sessions) filter (where activity_date > {{ dbt.dateadd('day', -90, run_date()) }})
            as sessions_90d,
        sum(product_views) filter (
            where activity_date > {{ dbt.dateadd('day', -30, run_date()) }}) as product_views_30d,
        sum(product_views) filter (
            where activity_date > {{ dbt.dateadd('day', -90, run_date()) }}) as product_views_90d,
        sum(cart_adds) filter (
            where activity_date > {{ dbt.dateadd('day', -90, run_date()) }}) as cart_adds_90d,
        sum(email_opens) filter (
            where activity_date > {{ dbt.dateadd('day', -90, run_date()) }}) as email_opens_90d,
        sum(email_clicks) filter (
            where activity_date > {{ dbt.dateadd('day', -90, run_date()) }}) as email_clicks_90d,
    from {{ ref('int_person_daily_activity') }}
    group by person_id
),

category_affinity as (
    select person_id, category, sum(weight) as weight
    from (
        select person_id, category, line_revenue as weight
        from {{ ref('fct_order_items') }}
        union all
        select person_id, category, case event_name when 'Product Added' then 3 else 1 end
        from {{ ref('int_events_attributed') }}
        where category is not null and event_name in ('Product Viewed', 'Product Added')
    )
    group by person_id, category
),

preferred_category as (
    select person_id, arg_max(category, (weight, category)) as preferred_category
    from category_affinity
    group by person_id
),

preferred_device as (
    select person_id, arg_max(device_type, (n, device_type)) as preferred_device
    from (
        select person_id, device_type, count(*) as n
        from {{ ref('int_events_attributed') }}
        where device_type is not null
        group by all
    )
    group by person_id
),

preferred_hour as (
    select person_id, arg_max(open_hour, (n, -open_hour)) as preferred_email_hour
    from (
        select
            coalesce(by_customer.person_id, by_email.person_id) as person_id,
            extract(hour from e.occurred_at) as open_hour,
            count(*) as n,
        from {{ ref('stg_email__email_events') }} as e
        left join identifiers as by_customer
            on by_customer.identifier_type = 'customer_id'
            and by_customer.identifier_value = e.customer_id
        left join identifiers as by_email
            on by_email.identifier_type = 'email'
            and by_email.identifier_value = e.email
        where e.event_type = 'open'
        group by all
    )
    where person_id is not null
    group by person_id
),

final as (
    select
        people.person_id,
        golden.customer_id,
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
        coalesce(email_consent.is_granted, false) as has_email_consent,
        coalesce(sms_consent.is_granted, false) as has_sms_consent,
        coalesce(ads_consent.is_granted, false) as has_ads_consent,
        coalesce(personalization_consent.is_granted, false) as has_personalization_consent,
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
        preferred_category.preferred_category,
        preferred_device.preferred_device,
        preferred_hour.preferred_email_hour,
        case
            when orders.last_order_at >= {{ dbt.dateadd('day', -30, run_date()) }}
                or coalesce(activity.sessions_30d, 0) >= 3 then 'high'
            when orders.last_order_at >= {{ dbt.dateadd('day', -90, run_date()) }}
                or coalesce(activity.sessions_90d, 0) > 0
                or coalesce(activity.email_clicks_90d, 0) > 0 then 'medium'
            when orders.last_order_at >= {{ dbt.dateadd('day', -365, run_date()) }}
                or coalesce(activity.email_opens_90d, 0) > 0 then 'low'
            else 'dormant'
        end as engagement_tier,
    from people
    left join golden using (person_id)
    left join orders using (person_id)
    left join activity using (person_id)
    left join preferred_category using (person_id)
    left join preferred_device using (person_id)
    left join preferred_hour using (person_id)
    left join consent as email_consent
        on email_consent.person_id = people.person_id and email_consent.channel = 'email'
    left join consent as sms_consent
        on sms_consent.person_id = people.person_id and sms_consent.channel = 'sms'
    left join consent as ads_consent
        on ads_consent.person_id = people.person_id and ads_consent.channel = 'ads'
    left join consent as personalization_consent
        on personalization_consent.person_id = people.person_id
        and personalization_consent.channel = 'personalization'
)

select * from final
