{#- The ml schema is written by ml/ and read here as a source; on a fresh warehouse
    its tables exist, empty, so the audience models build before any model has run. -#}
{% macro create_ml_tables() %}
    create schema if not exists ml;
    create table if not exists ml.customer_segments (
        run_date date, person_id varchar, segment_id integer, segment_name varchar,
        distance double
    );
    create table if not exists ml.churn_scores (
        run_date date, person_id varchar, churn_probability double, risk_band varchar,
        top_reasons varchar, model_version varchar
    );
    create table if not exists ml.recommendations (
        run_date date, person_id varchar, rank integer, product_id varchar, score double,
        source varchar
    );
{% endmacro %}
