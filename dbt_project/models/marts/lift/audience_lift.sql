{#- marts.audience_lift: written by the night's audience_lift step (pipeline/lift.py)
    through warehouse.db.replace_partition, one run date at a time. The select returns
    no row (like the ml tables: dbt owns the schema, the step the rows). -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as audience,
    cast(null as {{ dbt.type_string() }}) as channel,
    cast(null as integer) as window_days,
    cast(null as {{ dbt.type_boolean() }}) as window_closed,
    cast(null as integer) as days_observed,
    cast(null as integer) as treated_n,
    cast(null as integer) as control_n,
    cast(null as double precision) as conversion_treated,
    cast(null as double precision) as conversion_control,
    cast(null as double precision) as conversion_diff,
    cast(null as double precision) as conversion_ci_low,
    cast(null as double precision) as conversion_ci_high,
    cast(null as double precision) as conversion_p_value,
    cast(null as double precision) as orders_per_person_treated,
    cast(null as double precision) as orders_per_person_control,
    cast(null as double precision) as revenue_per_person_treated,
    cast(null as double precision) as revenue_per_person_control,
    cast(null as double precision) as revenue_diff,
    cast(null as double precision) as revenue_ci_low,
    cast(null as double precision) as revenue_ci_high,
    cast(null as double precision) as revenue_p_value,
    cast(null as double precision) as revenue_diff_cuped,
    cast(null as double precision) as revenue_cuped_ci_low,
    cast(null as double precision) as revenue_cuped_ci_high,
    cast(null as double precision) as revenue_cuped_p_value,
    cast(null as double precision) as cuped_theta,
    cast(null as {{ dbt.type_string() }}) as note,
    cast(null as date) as computed_on
where 1 = 0
