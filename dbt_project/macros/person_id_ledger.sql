{#- The state of the person-id ledger (an append-only relation of node_hash, person_id,
    assigned_on), as two selects for CTEs: every identifier's current id (its latest
    row) and when each id was first issued (older ids win merges). -#}
{% macro ledger_current_ids(ledger) -%}
    select
        node_hash,
        {{ arg_max('person_id', ['assigned_on', 'person_id']) }} as person_id
    from {{ ledger }}
    group by node_hash
{%- endmacro %}

{% macro ledger_issued_ids(ledger) -%}
    select person_id, min(assigned_on) as issued_on
    from {{ ledger }}
    group by person_id
{%- endmacro %}
