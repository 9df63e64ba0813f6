{#- The value of `value` on the row where `order_by` is largest (arg_max) or smallest
    (arg_min) within the group. `order_by` is one expression or a list of them, compared
    in order, so a list breaks ties deterministically. An aggregate: combine it with
    `filter (where ...)` to skip rows. -#}

{% macro arg_max(value, order_by) -%}
    {{ return(adapter.dispatch('arg_max', 'personalization')(value, order_by)) }}
{%- endmacro %}

{% macro arg_min(value, order_by) -%}
    {{ return(adapter.dispatch('arg_min', 'personalization')(value, order_by)) }}
{%- endmacro %}

{#- One expression, or a row of several (compared left to right). -#}
{% macro _sort_key(order_by) -%}
    {%- if order_by is string -%}
        {{ order_by }}
    {%- elif order_by | length == 1 -%}
        {{ order_by[0] }}
    {%- else -%}
        ({{ order_by | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__arg_max(value, order_by) -%}
    arg_max({{ value }}, {{ _sort_key(order_by) }})
{%- endmacro %}

{% macro duckdb__arg_min(value, order_by) -%}
    arg_min({{ value }}, {{ _sort_key(order_by) }})
{%- endmacro %}

{#- Spark SQL, Databricks and Trino name them max_by and min_by; Spark compares
    structs field by field. -#}
{% macro default__arg_max(value, order_by) -%}
    max_by({{ value }}, {% if order_by is string %}{{ order_by }}{% else %}struct({{ order_by | join(', ') }}){% endif %})
{%- endmacro %}

{% macro default__arg_min(value, order_by) -%}
    min_by({{ value }}, {% if order_by is string %}{{ order_by }}{% else %}struct({{ order_by | join(', ') }}){% endif %})
{%- endmacro %}
