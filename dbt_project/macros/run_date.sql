{#- The run date as a SQL date literal. Set with --vars '{run_date: YYYY-MM-DD}'; when
    empty, the latest extract date the loader loaded. Nothing reads the clock. -#}
{% macro run_date() -%}
    {%- set value = var('run_date', '') -%}
    {%- if value in (none, '') -%}
        {%- if execute -%}
            {%- set result = run_query(
                "select max(extract_date) from raw._loads where status = 'loaded'"
            ) -%}
            {%- set value = result.columns[0].values()[0] -%}
        {%- endif -%}
        {%- if value in (none, '') -%}
            {%- set value = '1970-01-01' -%}
        {%- endif -%}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- The first instant after the run date: events strictly before it are visible. -#}
{% macro run_end() -%}
    cast({{ dbt.dateadd('day', 1, run_date()) }} as timestamp)
{%- endmacro %}
