{{ config(materialized='table') }}
{#- Segment events with their JSON unpacked once. Replays (same messageId) removed,
    the first delivery kept; only events before the end of run_date. -#}
with

source as (
    select * from {{ source('raw', 'web__events') }}
    where _extract_date <= {{ run_date() }}
      and "timestamp" < {{ run_end() }}
),

deduplicated as (
    select
        *,
        row_number() over (
            partition by "messageId" order by _extract_date, _file, _row_number
        ) as delivery_rank
    from source
),

final as (
    select
        "messageId" as event_id,
        "type" as event_type,
        "event" as event_name,
        nullif(trim("anonymousId"), '') as anonymous_id,
        nullif(trim("userId"), '') as user_id,
        {{ normalize_email("traits->>'email'") }} as email,
        properties->>'product_id' as product_id,
        {{ normalize_category("properties->>'category'") }} as category,
        properties->>'order_id' as order_id,
        lower(context->'device'->>'type') as device_type,
        context->'campaign'->>'source' as campaign_source,
        context->'campaign'->>'medium' as campaign_medium,
        cast("timestamp" as timestamp) as occurred_at,
    from deduplicated
    where delivery_rank = 1
)

select * from final
