{#- The ml schema is written by ml/ and read here as a source; on a fresh warehouse
    its tables exist, empty, so the audience models build before any model has run. -#}
{% macro create_ml_tables() %}
    {%- set text = dbt.type_string() %}
    create schema if not exists ml;
    create table if not exists ml.customer_segments (
        run_date date, person_id {{ text }}, segment_id integer, segment_name {{ text }},
        distance double
    );
    create table if not exists ml.churn_scores (
        run_date date, person_id {{ text }}, churn_probability double, risk_band {{ text }},
        top_reasons {{ text }}, model_version {{ text }}
    );
    create table if not exists ml.recommendations (
        run_date date, person_id {{ text }}, rank integer, product_id {{ text }}, score double,
        source {{ text }}
    );
{% endmacro %}
