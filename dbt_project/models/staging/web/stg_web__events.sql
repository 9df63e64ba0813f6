{{ config(materialized='table') }}
{#- Segment events with their JSON unpacked once. Replays (same messageId) removed, the
    first delivery kept; only events timestamped before the end of run_date, whichever
    delivery carried them. -#}
{%- set property_paths = ['$.product_id', '$.category', '$.order_id'] -%}
{%- set context_paths = ['$.device.type', '$.campaign.source', '$.campaign.medium'] -%}
{%- set delivered_by_run_date -%}
    {{ adapter.quote('timestamp') }} < {{ run_end() }}
{%- endset %}
with

source as (
    select * from {{ source('raw', 'web__events') }}
    where {{ delivered_by_run_date }}
),

{#- Every delivery but the first of the few messageIds delivered more than once;
    ranking only those keeps the wide rows out of the sort. It reads the source table
    itself, not the CTE above: a CTE read twice may be materialized whole, with every
    JSON column (39 GB of temporary files at 1M customers on DuckDB), and this way each
    read is a scan of the columns it needs. -#}
replays as (
    select _file, _row_number
    from (
        select
            _file,
            _row_number,
            row_number() over (
                partition by {{ adapter.quote('messageId') }} order by _extract_date, _file, _row_number
            ) as delivery_rank
        from {{ source('raw', 'web__events') }}
        where {{ delivered_by_run_date }}
          and {{ adapter.quote('messageId') }} in (
              select {{ adapter.quote('messageId') }}
              from {{ source('raw', 'web__events') }}
              where {{ delivered_by_run_date }}
              group by {{ adapter.quote('messageId') }}
              having count(*) > 1
          )
    ) as deliveries
    where delivery_rank > 1
),

deduplicated as (
    select
        *,
        {# one parse per document for all the fields taken from it #}
        {{ json_fields('properties', property_paths) }} as props,
        {{ json_fields('context', context_paths) }} as ctx
    from source
    where not exists (
        select 1
        from replays
        where replays._file = source._file
          and replays._row_number = source._row_number
    )
),

final as (
    select
        {{ adapter.quote('messageId') }} as event_id,
        {{ adapter.quote('type') }} as event_type,
        {{ adapter.quote('event') }} as event_name,
        nullif(trim({{ adapter.quote('anonymousId') }}), '') as anonymous_id,
        nullif(trim({{ adapter.quote('userId') }}), '') as user_id,
        {{ normalize_email(json_extract_string('traits', '$.email')) }} as email,
        {{ json_field('props', property_paths, '$.product_id') }} as product_id,
        {{ normalize_category(json_field('props', property_paths, '$.category')) }} as category,
        {{ json_field('props', property_paths, '$.order_id') }} as order_id,
        lower({{ json_field('ctx', context_paths, '$.device.type') }}) as device_type,
        {{ json_field('ctx', context_paths, '$.campaign.source') }} as campaign_source,
        {{ json_field('ctx', context_paths, '$.campaign.medium') }} as campaign_medium,
        cast({{ adapter.quote('timestamp') }} as timestamp) as occurred_at
    from deduplicated
)

select * from final
