with

source as (
    select * from {{ source('raw', 'privacy__consent') }}
    where _extract_date <= {{ run_date() }}
      and recorded_at < {{ run_end() }}
),

final as (
    select distinct
        nullif(trim(customer_id), '') as customer_id,
        {{ normalize_email('email') }} as email,
        lower(channel) as channel,
        lower(status) as status,
        source as consent_source,
        cast(recorded_at as timestamp) as recorded_at
    from source
)

select * from final
