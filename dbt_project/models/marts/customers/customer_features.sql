{#- The ML feature vector of every known person as of run_date
    (int_person_features_at_cutoffs; category shares in customer_category_shares). -#}
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
        {%- for column in feature_columns() %}
        features.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from features
    inner join cutoffs on cutoffs.cutoff_date = features.cutoff_date
    where cutoffs.is_run_date
)

select * from final
