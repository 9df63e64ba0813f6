{#- The people the churn model scores on run_date, with their features
    (customer_features) and BTYD summary as of run_date (btyd_summaries_at_cutoffs):
    everyone with a revenue order in the year up to run_date. -#}
with

features as (
    select * from {{ ref('customer_features') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

btyd as (
    select * from {{ ref('btyd_summaries_at_cutoffs') }}
    where cutoff_date = {{ run_date() }}
),

active as (
    select distinct person_id
    from orders
    where is_revenue
        and order_date > cast({{ dbt.dateadd('day', -365, run_date()) }} as date)
        and order_date <= {{ run_date() }}
),

final as (
    select
        features.person_id,
        {%- for column in feature_columns() %}
        features.{{ column }},
        {%- endfor %}
        btyd.btyd_frequency,
        btyd.btyd_recency_days,
        btyd.btyd_t_days,
        btyd.btyd_monetary_value
    from features
    inner join active on active.person_id = features.person_id
    inner join btyd on btyd.person_id = features.person_id
)

select * from final
