{#- The median of a group (the mean of the two middle values when the count is
    even). An aggregate, not a window function. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'personalization')(expression)) }}
{%- endmacro %}

{#- DuckDB, Spark SQL 3.4+ and Databricks. -#}
{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro postgres__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}
