{#- ml.segment_centroids: written by ml/segments, read back by the next run to keep
    segment ids stable. The select returns no row (see ml_customer_segments.sql). -#}
select
    cast(null as date) as run_date,
    cast(null as bigint) as segment_id,
    cast(null as {{ dbt.type_string() }}) as segment_name,
    cast(null as {{ dbt.type_string() }}) as feature,
    cast(null as double precision) as value,
    cast(null as bigint) as size
where 1 = 0
