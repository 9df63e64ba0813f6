{#- The scalar at a JSONPath ('$.a.b') inside a JSON document, as a string; null when
    the path is missing. -#}
{% macro json_extract_string(column, path) -%}
    {{ return(adapter.dispatch('json_extract_string', 'personalization')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_extract_string(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{#- Spark SQL, Databricks and Hive. -#}
{% macro default__json_extract_string(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{#- Several scalars of one JSON document, parsed once where the engine allows it. In
    one select, json_fields(column, paths) makes a bundle of the fields at `paths`; in
    a later select, json_field(bundle, paths, path) takes one of them as a string. -#}
{% macro json_fields(column, paths) -%}
    {{ return(adapter.dispatch('json_fields', 'personalization')(column, paths)) }}
{%- endmacro %}

{% macro json_field(bundle, paths, path) -%}
    {{ return(adapter.dispatch('json_field', 'personalization')(bundle, paths, path)) }}
{%- endmacro %}

{#- A list of strings: one parse of the document for all its fields (each
    json_extract_string call parses it again). -#}
{% macro duckdb__json_fields(column, paths) -%}
    json_extract_string({{ column }}, [
        {%- for path in paths %}'{{ path }}'{{ ', ' if not loop.last }}{% endfor -%}
    ])
{%- endmacro %}

{% macro duckdb__json_field(bundle, paths, path) -%}
    {{ bundle }}[{{ paths.index(path) + 1 }}]
{%- endmacro %}

{#- The bundle is the document itself; each field is extracted from it. -#}
{% macro default__json_fields(column, paths) -%}
    {{ column }}
{%- endmacro %}

{% macro default__json_field(bundle, paths, path) -%}
    {{ json_extract_string(bundle, path) }}
{%- endmacro %}
