{#- A string of up to 15 hex digits read as a (non-negative) bigint. -#}
{% macro hex_to_bigint(hex_string) -%}
    {{ return(adapter.dispatch('hex_to_bigint', 'personalization')(hex_string)) }}
{%- endmacro %}

{% macro duckdb__hex_to_bigint(hex_string) -%}
    cast(('0x' || {{ hex_string }}) as bigint)
{%- endmacro %}

{% macro postgres__hex_to_bigint(hex_string) -%}
    cast(cast(('x' || lpad({{ hex_string }}, 16, '0')) as bit(64)) as bigint)
{%- endmacro %}

{#- Spark SQL, Databricks and Hive. -#}
{% macro default__hex_to_bigint(hex_string) -%}
    cast(conv({{ hex_string }}, 16, 10) as bigint)
{%- endmacro %}
