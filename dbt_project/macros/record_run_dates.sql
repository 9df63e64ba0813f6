{#- After dbt build, run or seed: record, for every model and seed the invocation built,
    the run date it was built for, in meta.model_run_dates (one row per relation). The
    models read it before they train or score (ml.features.check_built_for), so a mart
    built for another night fails the model's step instead of being scored under
    tonight's date. A partial build records the relations it built, nothing else. -#}
{% macro record_run_dates(results) %}
    {%- if execute and flags.WHICH in ('build', 'run', 'seed') -%}
        {%- set relations = [] -%}
        {%- for result in results
            if result.node.resource_type in ('model', 'seed') and result.status == 'success' -%}
            {%- do relations.append("'" ~ result.node.schema ~ "." ~ result.node.alias ~ "'") -%}
        {%- endfor -%}
        {%- if relations -%}
            {%- set rows = [] -%}
            {%- for relation in relations -%}
                {%- do rows.append(
                    "(" ~ relation ~ ", " ~ run_date() ~ ", '" ~ invocation_id ~ "')"
                ) -%}
            {%- endfor -%}
            {%- do run_query("create schema if not exists meta") -%}
            {%- do run_query(
                "create table if not exists meta.model_run_dates (relation "
                ~ dbt.type_string() ~ ", run_date date, invocation_id "
                ~ dbt.type_string() ~ ")"
            ) -%}
            {%- do run_query(
                "delete from meta.model_run_dates where relation in ("
                ~ relations | join(', ') ~ ")"
            ) -%}
            {%- do run_query(
                "insert into meta.model_run_dates (relation, run_date, invocation_id) values "
                ~ rows | join(', ')
            ) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
