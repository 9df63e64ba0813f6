{#- Normalization shared by every source, so the same email or phone compares equal
    wherever it was captured. -#}

{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- Phones are read by warehouse/phones.py (libphonenumber), the one definition of a
    normalized phone; warehouse/dbt_plugin.py registers it on every dbt connection as
    the functions phone_e164 and phone_problem. Call them from tables only: a view
    would need the functions in connections dbt did not open. -#}
{% macro normalize_phone(column, country) -%}
    phone_e164({{ column }}, {{ country }})
{%- endmacro %}

{% macro phone_problem(column, country) -%}
    phone_problem({{ column }}, {{ country }})
{%- endmacro %}

{% macro normalize_category(column) -%}
    nullif(lower(trim(replace({{ column }}, '_', ' '))), '')
{%- endmacro %}

{#- Deterministic latest-row choice for records delivered more than once. -#}
{% macro latest_first(updated_at) -%}
    {{ updated_at }} desc nulls last, _extract_date desc, _file desc, _row_number desc
{%- endmacro %}

{#- The version of a record that counts for the run, whichever delivery carried it:
    a version the record's own time says existed by the end of run_date (its
    updated_at is before run_end; without an updated_at, one delivered by run_date),
    the latest of those by `known_order`; when no version is that old (the record
    existed by then but was first delivered later), the earliest delivered one. -#}
{% macro point_in_time_first(updated_at=none, known_order=none) -%}
    {%- if updated_at is none -%}
        {%- set known = "coalesce(_extract_date <= " ~ run_date() ~ ", false)" -%}
    {%- else -%}
        {%- set known -%}
            coalesce(
                {{ updated_at }} < {{ run_end() }}
                or ({{ updated_at }} is null and _extract_date <= {{ run_date() }}),
                false
            )
        {%- endset -%}
    {%- endif -%}
    case when {{ known }} then 0 else 1 end,
    case when not {{ known }} then _extract_date end,
    case when not {{ known }} then _file end,
    case when not {{ known }} then _row_number end,
    {{ known_order or latest_first(updated_at) }}
{%- endmacro %}
