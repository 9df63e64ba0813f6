{#- One row per CRM customer id created by the end of run_date: its version as of
    run_date by the record's own updated_at, whichever delivery carried it (macro
    point_in_time_first), normalized. Duplicate people stay separate here; identity resolution merges them.
    A table, not a view: phones are read by a Python function dbt's connections carry
    (macro normalize_phone). -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('raw', 'crm__customers') }}
),

latest as (
    {{ deduplicate(
        'source',
        partition_by='customer_id',
        order_by=point_in_time_first('updated_at')
    ) }}
),

final as (
    select
        trim(latest.customer_id) as customer_id,
        {{ normalize_email('latest.email') }} as email,
        {{ normalize_phone('latest.phone', 'latest.country') }} as phone,
        nullif(trim(latest.first_name), '') as first_name,
        nullif(trim(latest.last_name), '') as last_name,
        nullif(trim(latest.gender), '') as gender,
        nullif(trim(latest.city), '') as city,
        nullif(trim(latest.region), '') as region,
        upper(nullif(trim(latest.country), '')) as country,
        nullif(trim(latest.postal_code), '') as postal_code,
        nullif(trim(latest.loyalty_id), '') as loyalty_id,
        {{ phone_problem('latest.phone', 'latest.country') }} as phone_problem,
        latest.birth_date,
        cast(latest.created_at as timestamp) as created_at,
        cast(latest.updated_at as timestamp) as updated_at
    from latest
    where latest.created_at < {{ run_end() }}
)

select * from final
