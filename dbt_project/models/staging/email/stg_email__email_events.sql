{{ config(materialized='table') }}
{#- Email sends, opens, clicks and unsubscribes; replays (same event_id) removed, the
    first delivery kept. A table: several models and tests read it. -#}
{%- set delivered_by_run_date -%}
    event_ts < {{ run_end() }}
{%- endset %}
with

source as (
    select * from {{ source('raw', 'email__email_events') }}
    where {{ delivered_by_run_date }}
),

{#- Every delivery but the first of the few event ids delivered more than once. It reads
    the source table itself, not the CTE above: a CTE read twice may be materialized
    whole, and this way each read is a scan of the columns it needs. -#}
replays as (
    select _file, _row_number
    from (
        select
            _file,
            _row_number,
            row_number() over (
                partition by event_id order by _extract_date, _file, _row_number
            ) as delivery_rank
        from {{ source('raw', 'email__email_events') }}
        where {{ delivered_by_run_date }}
          and event_id in (
              select event_id
              from {{ source('raw', 'email__email_events') }}
              where {{ delivered_by_run_date }}
              group by event_id
              having count(*) > 1
          )
    ) as deliveries
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
        cast(event_ts as timestamp) as occurred_at
    from source
    where not exists (
        select 1
        from replays
        where replays._file = source._file
          and replays._row_number = source._row_number
    )
)

select * from final
