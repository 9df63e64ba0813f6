{#- The SHA-256 digest of a string as 64 lowercase hex characters. -#}
{% macro sha256(expression) -%}
    {{ return(adapter.dispatch('sha256', 'personalization')(expression)) }}
{%- endmacro %}

{% macro duckdb__sha256(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{#- Spark SQL, Databricks and Hive. -#}
{% macro default__sha256(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro postgres__sha256(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}
