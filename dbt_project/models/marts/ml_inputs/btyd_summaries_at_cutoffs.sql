{#- The BTYD summary of customer_rfm (macro btyd_summary) at every cutoff of
    int_feature_cutoffs, run_date included: one row per cutoff and person with a
    revenue order on or before it, from those orders only. The churn model fits a
    BG/NBD model on each cutoff's rows and reads its features from them. -#}
with

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_revenue and order_date <= {{ run_date() }}
),

purchase_days as (
    select person_id, order_date, sum(revenue) as day_revenue
    from orders
    group by person_id, order_date
),

summaries as (
    select
        purchase_days.person_id,
        cutoffs.cutoff_date,
        {{ btyd_summary('cutoffs.cutoff_date') }}
    from purchase_days
    inner join cutoffs on purchase_days.order_date <= cutoffs.cutoff_date
    group by purchase_days.person_id, cutoffs.cutoff_date
),

final as (
    select
        person_id,
        cutoff_date,
        cast(btyd_frequency as double precision) as btyd_frequency,
        cast(btyd_recency_days as double precision) as btyd_recency_days,
        cast(btyd_t_days as double precision) as btyd_t_days,
        cast(btyd_monetary_value as double precision) as btyd_monetary_value
    from summaries
)

select * from final
