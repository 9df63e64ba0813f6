{#- People with an erasure request by any of their customer ids or emails: removed
    from every mart, model input and export. -#}
with

requests as (
    select * from {{ ref('stg_privacy__erasure_requests') }}
),

components as (
    select * from {{ ref('int_identity_components') }}
),

final as (
    select distinct components.person_id
    from requests
    inner join components
        on components.node = 'customer_id:' || requests.customer_id
        or components.node = 'email:' || requests.email
)

select * from final
