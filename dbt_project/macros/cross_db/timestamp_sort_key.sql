{#- A timestamp as 'YYYYMMDDHHMMSS' (to the second): strings that sort like the
    timestamps, so they can lead a composite text label compared with min(). -#}
{% macro timestamp_sort_key(expression) -%}
    {{ return(adapter.dispatch('timestamp_sort_key', 'personalization')(expression)) }}
{%- endmacro %}

{% macro duckdb__timestamp_sort_key(expression) -%}
    strftime({{ expression }}, '%Y%m%d%H%M%S')
{%- endmacro %}

{% macro postgres__timestamp_sort_key(expression) -%}
    to_char({{ expression }}, 'YYYYMMDDHH24MISS')
{%- endmacro %}

{#- Spark SQL, Databricks (Java datetime patterns). -#}
{% macro default__timestamp_sort_key(expression) -%}
    date_format({{ expression }}, 'yyyyMMddHHmmss')
{%- endmacro %}
