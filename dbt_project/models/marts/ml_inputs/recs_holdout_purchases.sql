{#- The recommenders' test side of the time split: who bought which product in the
    var('recs_holdout_days') days after split_date, up to run_date (one row per person
    and product, however often bought). -#}
{%- set split_date = "cast(" ~ dbt.dateadd('day', -(var('recs_holdout_days') | int), run_date()) ~ " as date)" -%}
with

interactions as (
    select * from {{ ref('fct_product_interactions') }}
),

final as (
    select distinct
        {{ split_date }} as split_date,
        person_id,
        product_id
    from interactions
    where interaction_type = 'purchase'
        and occurred_at >= {{ cutoff_end(split_date) }}
        and occurred_at < {{ run_end() }}
)

select * from final
