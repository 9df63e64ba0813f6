{#- ml.model_skips: written by pipeline/models.py when a model cannot be trained on the
    shop's history, one row per (run_date, model). The select returns no row (see
    ml_customer_segments.sql). -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as model,
    cast(null as {{ dbt.type_string() }}) as reason
where 1 = 0
