{#- People known as customers (a customer id from a CRM record, an order, an email
    event or a login), with when they were first seen. Anonymous-only browsers are not
    customers. -#}
with

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

customers as (
    select distinct person_id
    from identifiers
    where identifier_type = 'customer_id'
),

final as (
    select
        identifiers.person_id,
        min(identifiers.first_seen_at) as first_seen_at
    from identifiers
    inner join customers on customers.person_id = identifiers.person_id
    group by identifiers.person_id
)

select * from final
