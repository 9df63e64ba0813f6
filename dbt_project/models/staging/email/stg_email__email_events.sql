{{ config(materialized='table') }}
{#- Email sends, opens, clicks and unsubscribes; replays (same event_id) removed, the
    first delivery kept. A table: several models and tests read it. -#}
with

source as not materialized (
    select * from {{ source('raw', 'email__email_events') }}
    where _extract_date <= {{ run_date() }}
      and event_ts < {{ run_end() }}
),

replays as (
    -- every delivery but the first of the few event ids delivered more than once
    select _file, _row_number
    from (
        select
            _file,
            _row_number,
            row_number() over (
                partition by event_id order by _extract_date, _file, _row_number
            ) as delivery_rank
        from source
        where event_id in (select event_id from source group by 1 having count(*) > 1)
    )
    where delivery_rank > 1
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
    from source
    anti join replays using (_file, _row_number)
)

select * from final
