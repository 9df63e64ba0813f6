{#- The dates the features are computed as of: run_date and
    var('feature_history_cutoffs') earlier cutoffs, var('feature_history_spacing_days')
    apart. -#}
with

cutoffs as (
    select {{ run_date() }} as cutoff_date
    {%- for i in range(1, var('feature_history_cutoffs') + 1) %}
    union all
    select cast({{ dbt.dateadd('day', -i * var('feature_history_spacing_days'), run_date()) }} as date)
    {%- endfor %}
),

final as (
    select
        cutoff_date,
        cutoff_date = {{ run_date() }} as is_run_date
    from cutoffs
)

select * from final
