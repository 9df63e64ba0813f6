{#- Web and app events with their person (by customer id when logged in, else by the
    browser's anonymous id) and a session number: a gap of more than
    var('session_timeout_minutes') starts a new session. -#}
with

events as (
    select * from {{ ref('stg_web__events') }}
),

attributed as (
    select
        *,
        coalesce(anonymous_id, user_id) as browser_id
    from (
        {{ person_lookup(
            'events',
            by=[('customer_id', 'user_id'), ('anonymous_id', 'anonymous_id')]
        ) }}
    ) as events_with_person
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
        end as is_session_start
    from attributed
),

final as (
    select
        *,
        browser_id || '-' || cast(
            sum(is_session_start) over (
                partition by browser_id order by occurred_at, event_id rows unbounded preceding
            ) as {{ dbt.type_string() }}
        ) as session_id
    from gaps
    where person_id is not null
)

select * from final
