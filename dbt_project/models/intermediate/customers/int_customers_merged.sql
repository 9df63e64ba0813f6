{#- The golden record: one row per person with CRM records, merged from all of them.
    Survivorship per attribute: the most recently updated CRM record with a value wins
    (ties: the later customer id); customer_id and created_at come from the person's
    oldest CRM record. A placeholder or role address (seed placeholder_emails) is no
    value: the person's email is their latest real one, or null, so a placeholder is
    neither exported nor hashed. -#}
{%- set attributes = [
    'email', 'phone', 'first_name', 'last_name', 'birth_date', 'gender', 'city', 'region',
    'country', 'postal_code', 'loyalty_id'
] -%}
with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
    where identifier_type = 'customer_id'
),

crm as (
    select
        identifiers.person_id,
        customers.customer_id,
        customers.created_at,
        customers.updated_at,
        {%- for column in attributes %}
        {%- if column == 'email' %}
        {{ contact_email('customers.email') }} as email{{ ',' if not loop.last }}
        {%- else %}
        customers.{{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from customers
    inner join identifiers
        on identifiers.identifier_value = customers.customer_id
),

final as (
    select
        person_id,
        {{ arg_min('customer_id', 'created_at') }} as customer_id,
        min(created_at) as created_at,
        {%- for column in attributes %}
        {{ arg_max(column, ['updated_at', 'customer_id']) }} filter (where {{ column }} is not null)
            as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from crm
    group by person_id
)

select * from final
