{#- People known as customers (a CRM record or a logged-in customer id), with when
    they were first seen. Anonymous-only browsers are not customers. -#}
select
    person_id,
    min(first_seen_at) as first_seen_at
from {{ ref('int_identifiers_resolved') }}
where person_id in (
    select person_id from {{ ref('int_identifiers_resolved') }}
    where identifier_type = 'customer_id'
)
group by person_id
