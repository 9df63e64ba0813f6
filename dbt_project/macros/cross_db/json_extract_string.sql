{#- The scalar at a JSONPath ('$.a.b') inside a JSON document, as a string; null when
    the path is missing. -#}
{% macro json_extract_string(column, path) -%}
    {{ return(adapter.dispatch('json_extract_string', 'personalization')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_extract_string(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{#- Spark SQL, Databricks and Hive. -#}
{% macro default__json_extract_string(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}
