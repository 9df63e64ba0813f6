{#- ml.customer_segments: written by ml/segments (warehouse.db.replace_partition), one
    run_date at a time. dbt owns the table and its contract; the select returns no row,
    so a build creates the table when it is missing and otherwise leaves it as it is. -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as person_id,
    cast(null as integer) as segment_id,
    cast(null as {{ dbt.type_string() }}) as segment_name,
    cast(null as double precision) as distance,
    cast(null as {{ dbt.type_string() }}) as model_version
where 1 = 0
