{#- ml.customer_value: written by ml/value (warehouse.db.replace_partition), one
    run_date at a time. dbt owns the table and its contract; the select returns no row,
    so a build creates the table when it is missing and otherwise leaves it as it is. -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as person_id,
    cast(null as double precision) as probability_alive,
    cast(null as double precision) as expected_purchases_30d,
    cast(null as double precision) as expected_purchases_90d,
    cast(null as double precision) as expected_purchases_365d,
    cast(null as double precision) as expected_order_value,
    cast(null as double precision) as clv,
    cast(null as {{ dbt.type_string() }}) as model_version
where 1 = 0
