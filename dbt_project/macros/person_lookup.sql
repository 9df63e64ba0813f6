{#- Every row of `relation` with the person it belongs to, found through the resolved
    identity graph (int_identifiers_resolved): by the first identifier in `by` that
    resolves, so a customer id wins over an email. person_id is null when none does
    (an unknown or erased person). Returns a query of `relation`'s columns plus
    person_id.

    relation: a relation or CTE name.
    by: (identifier_type, column of relation) pairs, in order of precedence. -#}
{% macro person_lookup(relation, by=[('customer_id', 'customer_id'), ('email', 'email')]) -%}
    select
        {{ relation }}.*,
        coalesce(
            {%- for identifier_type, column in by %}
            by_{{ identifier_type }}.person_id{{ ',' if not loop.last }}
            {%- endfor %}
        ) as person_id
    from {{ relation }}
    {%- for identifier_type, column in by %}
    left join {{ ref('int_identifiers_resolved') }} as by_{{ identifier_type }}
        on by_{{ identifier_type }}.identifier_type = '{{ identifier_type }}'
        and by_{{ identifier_type }}.identifier_value = {{ relation }}.{{ column }}
    {%- endfor %}
{%- endmacro %}
