{#- Whether the latest of a group of consent records (status, recorded_at) is a grant;
    a revoke recorded at the same instant as a grant wins. An aggregate. -#}
{% macro consent_is_granted() -%}
    {{ arg_max("status = 'granted'", ['recorded_at', "status = 'revoked'"]) }}
{%- endmacro %}
