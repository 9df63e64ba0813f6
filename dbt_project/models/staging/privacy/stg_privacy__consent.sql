{#- Every consent record loaded, with is_after_run_date for those recorded after the end
    of run_date. Consent as of a run is the state on run_date, except that a withdrawal
    recorded since counts at once (int_customers_consented): a backfill never sends to
    someone who has withdrawn. -#}
with

source as (
    select * from {{ source('raw', 'privacy__consent') }}
),

final as (
    select distinct
        nullif(trim(customer_id), '') as customer_id,
        {{ normalize_email('email') }} as email,
        lower(channel) as channel,
        lower(status) as status,
        source as consent_source,
        cast(recorded_at as timestamp) as recorded_at,
        recorded_at >= {{ run_end() }} as is_after_run_date
    from source
)

select * from final
