{#- ml.recommendations: written by ml/recs. The select returns no row (see
    ml_customer_segments.sql). -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as person_id,
    cast(null as integer) as rank,
    cast(null as {{ dbt.type_string() }}) as product_id,
    cast(null as double precision) as score,
    cast(null as {{ dbt.type_string() }}) as source,
    cast(null as {{ dbt.type_string() }}) as model_version
where 1 = 0
