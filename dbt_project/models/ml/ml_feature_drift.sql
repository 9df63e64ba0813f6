{#- ml.feature_drift: written by ml/drift.py after each model scores, one row per
    (run_date, model, kind, name). The select returns no row (see
    ml_customer_segments.sql). -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as model,
    cast(null as {{ dbt.type_string() }}) as model_version,
    cast(null as {{ dbt.type_string() }}) as kind,
    cast(null as {{ dbt.type_string() }}) as name,
    cast(null as double precision) as psi,
    cast(null as double precision) as threshold,
    cast(null as {{ dbt.type_string() }}) as status
where 1 = 0
