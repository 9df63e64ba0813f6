{#- Every erasure request loaded, whatever its date: erasure is not point in time. A
    request applies to every run from the night it is loaded, backfills of earlier dates
    included, so a backfill never brings an erased person back. -#}
with

source as (
    select * from {{ source('raw', 'privacy__erasure_requests') }}
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
