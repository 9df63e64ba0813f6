{#- ml.model_metrics: written by pipeline/models.py after each model trains and scores,
    one row per (run_date, model, metric). The select returns no row (see
    ml_customer_segments.sql). -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as model,
    cast(null as {{ dbt.type_string() }}) as model_version,
    cast(null as {{ dbt.type_string() }}) as metric,
    cast(null as double precision) as value
where 1 = 0
