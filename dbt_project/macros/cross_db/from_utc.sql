{#- A UTC timestamp (without time zone) as the wall-clock time of an IANA time zone,
    itself a column or expression ('Europe/Berlin', 'America/New_York'). -#}
{% macro from_utc(timestamp, time_zone) -%}
    {{ return(adapter.dispatch('from_utc', 'personalization')(timestamp, time_zone)) }}
{%- endmacro %}

{#- Spark SQL and Databricks. -#}
{% macro default__from_utc(timestamp, time_zone) -%}
    from_utc_timestamp({{ timestamp }}, {{ time_zone }})
{%- endmacro %}

{#- DuckDB (ICU): read the naive timestamp as UTC, then take its local time. -#}
{% macro duckdb__from_utc(timestamp, time_zone) -%}
    timezone({{ time_zone }}, timezone('UTC', {{ timestamp }}))
{%- endmacro %}

{% macro snowflake__from_utc(timestamp, time_zone) -%}
    convert_timezone('UTC', {{ time_zone }}, {{ timestamp }})
{%- endmacro %}
