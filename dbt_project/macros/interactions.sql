{#- Implicit feedback of person × product as of a date, from fct_product_interactions:
    the event counts by type and the confidence weight. Each event weighs
    var('interaction_weights')[its type], halved every var('interaction_half_life_days')
    days of age at as_of. customer_item_interactions (as of run_date) and
    recs_training_interactions (as of the recommendation split) both aggregate with it,
    so the model is evaluated on the same definition it is fitted on.

    Renders select-list items (no trailing comma) for a query over fct_product_interactions
    aliased `events`, grouped by person_id and product_id; as_of is a SQL date. -#}
{% macro interaction_aggregates(as_of, events='interactions') -%}
    {%- set weights = var('interaction_weights') -%}
    count(case when {{ events }}.interaction_type = 'view' then 1 end) as view_count,
    count(case when {{ events }}.interaction_type = 'cart_add' then 1 end) as cart_add_count,
    count(case when {{ events }}.interaction_type = 'purchase' then 1 end) as purchase_count,
    max({{ events }}.occurred_at) as last_interaction_at,
    sum(
        case {{ events }}.interaction_type
            {%- for interaction_type, weight in weights.items() %}
            when '{{ interaction_type }}' then cast({{ weight }} as double precision)
            {%- endfor %}
        end
        * power(0.5, {{ dbt.datediff(events ~ '.occurred_at', as_of, 'day') }}
                     / {{ var('interaction_half_life_days') }})
    ) as weight
{%- endmacro %}
