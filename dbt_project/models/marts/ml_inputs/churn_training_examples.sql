{#- Labelled examples of the churn model: one row per (cutoff_date, person_id) of
    customer_features_history whose label is known by run_date. The population at a
    cutoff is everyone with a revenue order in the year up to it; churned is true when
    that person has no revenue order in the var('churn_horizon_days') days after it
    (through label_end_date). Cutoffs whose horizon ends after run_date are left out.
    The BTYD summary as of the cutoff (btyd_summaries_at_cutoffs) comes with the
    features. -#}
{%- set horizon = var('churn_horizon_days') | int -%}
with

history as (
    select * from {{ ref('customer_features_history') }}
),

btyd as (
    select * from {{ ref('btyd_summaries_at_cutoffs') }}
),

orders as (
    select
        person_id,
        order_date
    from {{ ref('fct_orders') }}
    where is_revenue and order_date <= {{ run_date() }}
),

cutoffs as (
    select distinct
        cutoff_date,
        cast({{ dbt.dateadd('day', horizon, 'cutoff_date') }} as date) as label_end_date
    from history
    where cast({{ dbt.dateadd('day', horizon, 'cutoff_date') }} as date) <= {{ run_date() }}
),

labels as (
    select
        cutoffs.cutoff_date,
        cutoffs.label_end_date,
        orders.person_id,
        count(case when orders.order_date <= cutoffs.cutoff_date then 1 end) as orders_before,
        count(case when orders.order_date > cutoffs.cutoff_date then 1 end) as orders_after
    from cutoffs
    inner join orders
        on orders.order_date > cast({{ dbt.dateadd('day', -365, 'cutoffs.cutoff_date') }} as date)
        and orders.order_date <= cutoffs.label_end_date
    group by cutoffs.cutoff_date, cutoffs.label_end_date, orders.person_id
),

final as (
    select
        history.person_id,
        history.cutoff_date,
        {%- for column in feature_columns() %}
        history.{{ column }},
        {%- endfor %}
        btyd.btyd_frequency,
        btyd.btyd_recency_days,
        btyd.btyd_t_days,
        btyd.btyd_monetary_value,
        labels.orders_after = 0 as churned,
        labels.label_end_date
    from history
    inner join labels
        on labels.cutoff_date = history.cutoff_date
        and labels.person_id = history.person_id
    inner join btyd
        on btyd.cutoff_date = history.cutoff_date
        and btyd.person_id = history.person_id
    where labels.orders_before > 0
)

select * from final
