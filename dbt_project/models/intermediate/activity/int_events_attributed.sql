{#- Web and app events with their person (by customer id when logged in, else by the
    browser's anonymous id) and a session number: a gap of more than
    var('session_timeout_minutes') starts a new session. -#}
with

events as (
    select * from {{ ref('stg_web__events') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

attributed as (
    select
        events.*,
        coalesce(by_user.person_id, by_device.person_id) as person_id,
        coalesce(events.anonymous_id, events.user_id) as browser_id,
    from events
    left join identifiers as by_user
        on by_user.identifier_type = 'customer_id' and by_user.identifier_value = events.user_id
    left join identifiers as by_device
        on by_device.identifier_type = 'anonymous_id'
        and by_device.identifier_value = events.anonymous_id
),

gaps as (
    select
        *,
        case
            when lag(occurred_at) over (partition by browser_id order by occurred_at, event_id)
                is null then 1
            when {{ dbt.datediff(
                'lag(occurred_at) over (partition by browser_id order by occurred_at, event_id)',
                'occurred_at', 'minute') }} > {{ var('session_timeout_minutes') }} then 1
            else 0
        end as is_session_start,
    from attributed
),

final as (
    select
        *,
        browser_id || '-' || cast(
            sum(is_session_start) over (
                partition by browser_id order by occurred_at, event_id rows unbounded preceding
            ) as varchar
        ) as session_id,
    from gaps
    where person_id is not null
)

select * from final
