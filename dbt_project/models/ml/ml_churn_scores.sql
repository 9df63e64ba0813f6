{#- ml.churn_scores: written by ml/churn. The select returns no row (see
    ml_customer_segments.sql). -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as person_id,
    cast(null as double precision) as churn_probability,
    cast(null as {{ dbt.type_string() }}) as risk_band,
    cast(null as {{ dbt.type_string() }}) as top_reasons,
    cast(null as {{ dbt.type_string() }}) as model_version
where 1 = 0
