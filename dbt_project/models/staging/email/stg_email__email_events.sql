with

source as (
    select * from {{ source('raw', 'email__email_events') }}
    where _extract_date <= {{ run_date() }}
      and event_ts < {{ run_end() }}
),

deduplicated as (
    select
        *,
        row_number() over (partition by event_id order by _extract_date, _row_number) as rank_
    from source
),

final as (
    select
        event_id,
        message_id,
        campaign_id,
        nullif(trim(customer_id), '') as customer_id,
        {{ normalize_email('email') }} as email,
        lower(event_type) as event_type,
        url,
        cast(event_ts as timestamp) as occurred_at,
    from deduplicated
    where rank_ = 1
)

select * from final
