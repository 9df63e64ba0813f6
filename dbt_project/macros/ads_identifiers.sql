{#- How the ad platforms want an identifier before it is hashed (docs/exports.md has the
    sources). Each returns a SQL string expression, null when nothing is left. -#}

{#- SHA-256 of a normalized value, null for a null or empty one. -#}
{% macro hashed_identifier(expression) -%}
    {{ sha256("nullif(" ~ expression ~ ", '')") }}
{%- endmacro %}

{#- Google Customer Match: a name lower-cased with its spaces removed. -#}
{% macro google_name(column) -%}
    lower(replace({{ column }}, ' ', ''))
{%- endmacro %}

{#- Meta: lower-cased letters only (accented letters kept, as UTF-8). -#}
{% macro meta_letters(column) -%}
    {{ regexp_replace_all('lower(' ~ column ~ ')', "'[^\\p{L}]'", "''") }}
{%- endmacro %}

{#- Meta: a postal code lower-cased without spaces or dashes, a US ZIP to five digits. -#}
{% macro meta_postal_code(postal_code, country) -%}
    {%- set compact = "lower(replace(replace(" ~ postal_code ~ ", ' ', ''), '-', ''))" -%}
    case when {{ country }} = 'US' then substr({{ compact }}, 1, 5) else {{ compact }} end
{%- endmacro %}
