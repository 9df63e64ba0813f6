{#- An array of integers from a list of Jinja numbers (a list var as one column). -#}
{% macro integer_array(values) -%}
    {{ return(adapter.dispatch('integer_array', 'personalization')(values)) }}
{%- endmacro %}

{% macro duckdb__integer_array(values) -%}
    cast([{{ values | map('int') | join(', ') }}] as integer[])
{%- endmacro %}

{#- Spark SQL, Databricks, Trino. -#}
{% macro default__integer_array(values) -%}
    array({{ values | map('int') | join(', ') }})
{%- endmacro %}

{% macro postgres__integer_array(values) -%}
    array[{{ values | map('int') | join(', ') }}]::integer[]
{%- endmacro %}
