{#- The shopping funnel per day, channel and device, counted in sessions
    (int_events_attributed): a session reaches a step when it has the step's event at
    or after the moment it reached the step before, so every step counts a subset of
    the one before: Product Viewed -> Product Added -> Checkout Started -> Order
    Completed. A session counts on the day it started; its channel is the campaign
    medium of its first event that carries one (direct when none does), its device
    the device of its first event (unknown when none is recorded). -#}
with

events as (
    select * from {{ ref('int_events_attributed') }}
),

session_events as (
    select
        session_id,
        occurred_at,
        event_name,
        campaign_medium,
        device_type,
        row_number() over (partition by session_id order by occurred_at, event_id) as event_rank
    from events
),

sessions as (
    select
        session_id,
        cast(min(occurred_at) as date) as session_date,
        coalesce(
            {{ arg_max('campaign_medium', ['-event_rank']) }}
                filter (where campaign_medium is not null),
            'direct'
        ) as channel,
        coalesce(max(case when event_rank = 1 then device_type end), 'unknown') as device_type,
        min(case when event_name = 'Product Viewed' then occurred_at end) as viewed_at
    from session_events
    group by session_id
),

added as (
    select sessions.session_id, min(events.occurred_at) as added_at
    from sessions
    inner join session_events as events
        on events.session_id = sessions.session_id
        and events.event_name = 'Product Added'
        and events.occurred_at >= sessions.viewed_at
    group by sessions.session_id
),

checked_out as (
    select added.session_id, min(events.occurred_at) as checkout_at
    from added
    inner join session_events as events
        on events.session_id = added.session_id
        and events.event_name = 'Checkout Started'
        and events.occurred_at >= added.added_at
    group by added.session_id
),

ordered as (
    select checked_out.session_id, min(events.occurred_at) as ordered_at
    from checked_out
    inner join session_events as events
        on events.session_id = checked_out.session_id
        and events.event_name = 'Order Completed'
        and events.occurred_at >= checked_out.checkout_at
    group by checked_out.session_id
),

steps as (
    select
        sessions.session_date,
        sessions.channel,
        sessions.device_type,
        sessions.viewed_at is not null as has_viewed,
        added.session_id is not null as has_added,
        checked_out.session_id is not null as has_checked_out,
        ordered.session_id is not null as has_ordered
    from sessions
    left join added on added.session_id = sessions.session_id
    left join checked_out on checked_out.session_id = sessions.session_id
    left join ordered on ordered.session_id = sessions.session_id
),

final as (
    select
        session_date,
        channel,
        device_type,
        count(*) as sessions,
        cast(sum(case when has_viewed then 1 else 0 end) as bigint) as viewed_sessions,
        cast(sum(case when has_added then 1 else 0 end) as bigint) as added_sessions,
        cast(sum(case when has_checked_out then 1 else 0 end) as bigint) as checkout_sessions,
        cast(sum(case when has_ordered then 1 else 0 end) as bigint) as ordered_sessions
    from steps
    group by session_date, channel, device_type
)

select * from final
