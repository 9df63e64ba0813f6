{#- The people the churn model scores on run_date, with their features
    (customer_features): everyone with a revenue order in the year up to run_date. -#}
with

features as (
    select * from {{ ref('customer_features') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
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
        features.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from features
    inner join active on active.person_id = features.person_id
)

select * from final
