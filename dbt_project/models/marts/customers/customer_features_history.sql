{#- The same feature vector at the cutoffs before run_date (int_feature_cutoffs), each
    from data on or before its cutoff. The churn model trains on it. -#}
with

features as (
    select * from {{ ref('int_person_features_at_cutoffs') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

final as (
    select
        features.person_id,
        features.cutoff_date,
        {%- for column in feature_columns() %}
        features.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from features
    inner join cutoffs on cutoffs.cutoff_date = features.cutoff_date
    where not cutoffs.is_run_date
)

select * from final
