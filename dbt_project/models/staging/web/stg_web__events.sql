{{ config(materialized='table') }}
{#- Segment events with their JSON unpacked once. Replays (same messageId) removed,
    the first delivery kept; only events before the end of run_date. `source` is read
    twice, and DuckDB would materialize a CTE read twice with every JSON column (39 GB
    of temporary files at 1M customers): `not materialized` scans the table twice. -#}
with

source as not materialized (
    select * from {{ source('raw', 'web__events') }}
    where _extract_date <= {{ run_date() }}
      and "timestamp" < {{ run_end() }}
),

replays as (
    -- Every delivery but the first of the few messageIds delivered more than once;
    -- ranking only those keeps the wide rows out of the sort.
    select _file, _row_number
    from (
        select
            _file,
            _row_number,
            row_number() over (
                partition by "messageId" order by _extract_date, _file, _row_number
            ) as delivery_rank
        from source
        where "messageId" in (select "messageId" from source group by 1 having count(*) > 1)
    )
    where delivery_rank > 1
),

deduplicated as (
    select
        source.*,
        -- one parse per object for all the fields taken from it
        json_extract_string(properties, ['$.product_id', '$.category', '$.order_id'])
            as props,
        json_extract_string(context, ['$.device.type', '$.campaign.source', '$.campaign.medium'])
            as ctx,
    from source
    anti join replays using (_file, _row_number)
),

final as (
    select
        "messageId" as event_id,
        "type" as event_type,
        "event" as event_name,
        nullif(trim("anonymousId"), '') as anonymous_id,
        nullif(trim("userId"), '') as user_id,
        {{ normalize_email("traits->>'email'") }} as email,
        props[1] as product_id,
        {{ normalize_category("props[2]") }} as category,
        props[3] as order_id,
        lower(ctx[1]) as device_type,
        ctx[2] as campaign_source,
        ctx[3] as campaign_medium,
        cast("timestamp" as timestamp) as occurred_at,
    from deduplicated
)

select * from final
