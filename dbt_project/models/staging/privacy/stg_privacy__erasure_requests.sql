with

source as (
    select * from {{ source('raw', 'privacy__erasure_requests') }}
    where _extract_date <= {{ run_date() }}
      and requested_at < {{ run_end() }}
),

final as (
    select distinct
        request_id,
        nullif(trim(customer_id), '') as customer_id,
        {{ normalize_email('email') }} as email,
        cast(requested_at as timestamp) as requested_at
    from source
)

select * from final
