{#- Evidence that two identifiers belong to one person: each identifier seen together
    with a customer id (in a CRM record, a logged-in or identify event, an email
    event). An identifier seen with more customer ids than
    var('identity_max_customers_per_identifier') is shared (a test address, a shop's
    default card, a family computer) and links nobody. -#}
with

observed as (
    select * from {{ ref('int_identifiers_observed') }}
),

sharing as (
    select
        identifier_type,
        identifier_value,
        count(distinct linked_customer_id) as linked_customers
    from observed
    where identifier_type <> 'customer_id'
    group by identifier_type, identifier_value
),

usable as (
    select observed.*
    from observed
    inner join sharing
        using (identifier_type, identifier_value)
    where sharing.linked_customers <= {{ var('identity_max_customers_per_identifier') }}
      and observed.linked_customer_id is not null
),

final as (
    select distinct
        identifier_type || ':' || identifier_value as node,
        'customer_id:' || linked_customer_id as linked_node
    from usable
)

select * from final
