{#- The recommenders' training side of the time split: person × product implicit
    feedback aggregated exactly as customer_item_interactions (macros/interactions.sql)
    but as of split_date, var('recs_holdout_days') days before run_date, from the events
    up to that day. recs_holdout_purchases holds the days after it. -#}
{%- set split_date = "cast(" ~ dbt.dateadd('day', -(var('recs_holdout_days') | int), run_date()) ~ " as date)" -%}
with

interactions as (
    select * from {{ ref('fct_product_interactions') }}
    where occurred_at < {{ cutoff_end(split_date) }}
),

final as (
    select
        {{ split_date }} as split_date,
        interactions.person_id,
        interactions.product_id,
        {{ interaction_aggregates(split_date) }}
    from interactions
    group by interactions.person_id, interactions.product_id
)

select * from final
