{#- Web, app and email activity per person and day: small enough that features at
    many cutoffs can be computed from it quickly. -#}
with

events as (
    select * from {{ ref('int_events_attributed') }}
),

email_events as (
    select * from {{ ref('stg_email__email_events') }}
),

web_daily as (
    select
        person_id,
        cast(occurred_at as date) as activity_date,
        sum(is_session_start) as sessions,
        count(*) filter (where event_name = 'Product Viewed') as product_views,
        count(*) filter (where event_name = 'Product Added') as cart_adds,
        0 as email_sends,
        0 as email_opens,
        0 as email_clicks,
        max(occurred_at) as last_seen_at
    from events
    group by person_id, cast(occurred_at as date)
),

email_people as (
    {{ person_lookup('email_events') }}
),

email_daily as (
    select
        person_id,
        cast(occurred_at as date) as activity_date,
        0 as sessions,
        0 as product_views,
        0 as cart_adds,
        count(*) filter (where event_type = 'sent') as email_sends,
        count(*) filter (where event_type = 'open') as email_opens,
        count(*) filter (where event_type = 'click') as email_clicks,
        cast(null as timestamp) as last_seen_at
    from email_people
    where person_id is not null
    group by person_id, cast(occurred_at as date)
),

final as (
    select
        person_id,
        activity_date,
        sum(sessions) as sessions,
        sum(product_views) as product_views,
        sum(cart_adds) as cart_adds,
        sum(email_sends) as email_sends,
        sum(email_opens) as email_opens,
        sum(email_clicks) as email_clicks,
        max(last_seen_at) as last_seen_at
    from (
        select * from web_daily
        union all
        select * from email_daily
    ) as daily
    group by person_id, activity_date
)

select * from final
