{#- marts.audience_variant_posteriors: written by the night's audience_lift step
    (pipeline/lift.py) before the audiences are built, read by audience_sends to
    allocate tonight's variants. The select returns no row (see audience_lift.sql). -#}
select
    cast(null as date) as run_date,
    cast(null as {{ dbt.type_string() }}) as audience,
    cast(null as {{ dbt.type_string() }}) as variant,
    cast(null as integer) as window_days,
    cast(null as integer) as members,
    cast(null as integer) as conversions,
    cast(null as double precision) as alpha,
    cast(null as double precision) as beta,
    cast(null as double precision) as allocation_share
where 1 = 0
