{#- True when a normalized email is a placeholder or a role address listed in the
    placeholder_emails seed (match_type address: the whole address; domain: everything
    after the @; local_part: everything before it, a +tag left out). Such an address
    never counts as anyone's contact. False for null. -#}
{% macro is_placeholder_email(column) -%}
    exists (
        select 1
        from {{ ref('placeholder_emails') }} as placeholders
        where (placeholders.match_type = 'address' and placeholders.pattern = {{ column }})
            or (placeholders.match_type = 'domain'
                and placeholders.pattern = {{ dbt.split_part(column, "'@'", 2) }})
            or (placeholders.match_type = 'local_part'
                and placeholders.pattern
                    = {{ dbt.split_part(dbt.split_part(column, "'@'", 1), "'+'", 1) }})
    )
{%- endmacro %}

{#- The email, or null when it is a placeholder (is_placeholder_email). -#}
{% macro contact_email(column) -%}
    case when not {{ is_placeholder_email(column) }} then {{ column }} end
{%- endmacro %}
