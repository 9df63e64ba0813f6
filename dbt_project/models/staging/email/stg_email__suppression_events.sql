{#- Every email event that stops email to its recipient, loaded at any time: a bounce
    (the email contract carries no bounce type, so every bounce counts as hard), a spam
    complaint or an unsubscribe. Not point in time: like a withdrawn consent, a
    suppression applies to every run from the night it is loaded, backfills included.
    Replays (same event_id) are one event. -#}
with

source as (
    select * from {{ source('raw', 'email__email_events') }}
    where lower(event_type) in ('bounce', 'spam_report', 'unsubscribe')
),

final as (
    select
        event_id,
        nullif(trim(customer_id), '') as customer_id,
        {{ normalize_email('email') }} as email,
        case lower(event_type)
            when 'bounce' then 'hard_bounce'
            else lower(event_type)
        end as reason,
        min(cast(event_ts as timestamp)) as occurred_at
    from source
    group by
        event_id,
        nullif(trim(customer_id), ''),
        {{ normalize_email('email') }},
        lower(event_type)
)

select * from final
