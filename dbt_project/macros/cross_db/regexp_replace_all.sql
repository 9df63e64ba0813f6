{#- Every match of a regular expression replaced (not only the first). -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'personalization')(
        expression, pattern, replacement)) }}
{%- endmacro %}

{#- DuckDB and Postgres replace the first match unless the 'g' flag is given. -#}
{% macro duckdb__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro postgres__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- Spark SQL, Databricks, Trino and Snowflake replace every match. Their string literals
    read a backslash as an escape, so the pattern's backslashes (\p{L}) are doubled. -#}
{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern | replace('\\', '\\\\') }}, {{ replacement }})
{%- endmacro %}
