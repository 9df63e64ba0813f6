{#- The keyed hash of a string expression: sha256(key || sha256(key || value)), 64 hex
    characters, with the deployment's secret from source('meta', 'person_id_key') (the
    loader installs it there; it never appears in the project or the compiled SQL).
    Python computes the same digest in warehouse/privacy/key.py. -#}
{% macro keyed_hash(expression) -%}
    {%- set key = "(select key from " ~ source('meta', 'person_id_key') ~ ")" -%}
    {{ sha256(key ~ " || " ~ sha256(key ~ " || " ~ expression)) }}
{%- endmacro %}

{#- A person id: 'p_' and the first 16 hex characters of the keyed hash of `expression`. -#}
{% macro keyed_person_id(expression) -%}
    'p_' || left({{ keyed_hash(expression) }}, 16)
{%- endmacro %}
