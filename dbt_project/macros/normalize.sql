{#- Normalization shared by every source, so the same email or phone compares equal
    wherever it was captured. -#}

{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- E.164: keep digits; a leading + or 00 is already international; a national number
    (leading 0) gets its country's calling code from the country_calling_codes seed
    (joined as `calling_code`). -#}
{% macro normalize_phone(column, calling_code) -%}
    {%- set digits = regexp_replace_all(column, "'[^0-9]'", "''") -%}
    case
        when {{ column }} is null or trim({{ column }}) = '' then null
        when trim({{ column }}) like '+%'
            then '+' || {{ digits }}
        when {{ digits }} like '00%'
            then '+' || substr({{ digits }}, 3)
        when {{ calling_code }} is null then null
        when {{ digits }} like '0%'
            then '+' || {{ calling_code }}
                || substr({{ digits }}, 2)
        else '+' || {{ calling_code }} || {{ digits }}
    end
{%- endmacro %}

{% macro normalize_category(column) -%}
    nullif(lower(trim(replace({{ column }}, '_', ' '))), '')
{%- endmacro %}

{#- Deterministic latest-row choice for records delivered more than once. -#}
{% macro latest_first(updated_at) -%}
    {{ updated_at }} desc nulls last, _extract_date desc, _file desc, _row_number desc
{%- endmacro %}
