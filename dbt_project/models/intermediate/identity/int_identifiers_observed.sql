{#- Every sighting of an identifier, and the customer id it was seen with (if any).
    Placeholder and role addresses (seed placeholder_emails) are no one's identifier:
    they are left out, so they link nobody and resolve to nobody.
    Each branch reads its staging relation directly rather than through import CTEs: a
    CTE read by several branches may be materialized whole (every column of the wide
    event table), while direct reads scan only the columns each branch needs. -#}
with

sightings as (
    select 'customer_id' as identifier_type, customer_id as identifier_value,
           customer_id as linked_customer_id, created_at as seen_at, updated_at as last_at
    from {{ ref('stg_crm__customers') }}
    union all
    select 'email', email, customer_id, created_at, updated_at
    from {{ ref('stg_crm__customers') }}
    where email is not null and not {{ is_placeholder_email('email') }}
    union all
    select 'loyalty_id', loyalty_id, customer_id, created_at, updated_at
    from {{ ref('stg_crm__customers') }} where loyalty_id is not null
    union all
    select 'anonymous_id', anonymous_id, user_id, min(occurred_at), max(occurred_at)
    from {{ ref('stg_web__events') }} where anonymous_id is not null
    group by anonymous_id, user_id
    union all
    select 'customer_id', user_id, user_id, min(occurred_at), max(occurred_at)
    from {{ ref('stg_web__events') }} where user_id is not null
    group by user_id
    union all
    select 'email', email, user_id, min(occurred_at), max(occurred_at)
    from {{ ref('stg_web__events') }}
    where email is not null and not {{ is_placeholder_email('email') }}
    group by email, user_id
    union all
    select 'customer_id', customer_id, customer_id, min(occurred_at), max(occurred_at)
    from {{ ref('stg_email__email_events') }} where customer_id is not null
    group by customer_id
    union all
    {#- A customer id that ordered is a customer, CRM record or not. #}
    select 'customer_id', customer_id, customer_id, min(ordered_at), max(ordered_at)
    from {{ ref('stg_shop__orders') }} where customer_id is not null
    group by customer_id
    union all
    select 'email', email, customer_id, min(occurred_at), max(occurred_at)
    from {{ ref('stg_email__email_events') }}
    where email is not null and not {{ is_placeholder_email('email') }}
    group by email, customer_id
),

final as (
    select
        identifier_type,
        identifier_value,
        linked_customer_id,
        min(seen_at) as first_seen_at,
        max(last_at) as last_seen_at
    from sightings
    group by identifier_type, identifier_value, linked_customer_id
)

select * from final
