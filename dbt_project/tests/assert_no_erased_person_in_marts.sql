{#- Erasure removes a person from every mart: no person with an erasure request may
    appear in any of them. -#}
with

erased as (
    select person_id from {{ ref('int_persons_erased') }}
),

marts as (
    select person_id, 'dim_customers' as mart from {{ ref('dim_customers') }}
    union all
    select person_id, 'person_identifiers' from {{ ref('person_identifiers') }}
    union all
    select person_id, 'fct_orders' from {{ ref('fct_orders') }}
    union all
    select person_id, 'fct_product_interactions' from {{ ref('fct_product_interactions') }}
    union all
    select person_id, 'customer_rfm' from {{ ref('customer_rfm') }}
    union all
    select person_id, 'customer_features' from {{ ref('customer_features') }}
    union all
    select person_id, 'customer_features_history' from {{ ref('customer_features_history') }}
)

select marts.*
from marts
inner join erased using (person_id)
