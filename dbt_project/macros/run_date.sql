{#- The run date as a SQL date literal, from --vars '{run_date: YYYY-MM-DD}'. There is
    no default: the pipeline resolves the run date (pipeline/run_date.py) and passes
    it, and a run without it stops at compile time. Nothing reads the clock. -#}
{% macro run_date() -%}
    {%- set value = var('run_date', '') -%}
    {%- if value in (none, '') -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "run_date is not set: pass --vars '{run_date: YYYY-MM-DD}'"
            ) }}
        {%- endif -%}
        {#- Parsing renders the SQL without running it; any date will do there. -#}
        {%- set value = '1970-01-01' -%}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- The first instant after the run date: events strictly before it are visible. -#}
{% macro run_end() -%}
    cast({{ dbt.dateadd('day', 1, run_date()) }} as timestamp)
{%- endmacro %}
