{#- Person × product implicit feedback as of run_date. weight is the confidence for
    collaborative filtering (macros/interactions.sql: var('interaction_weights') per
    event, halved every var('interaction_half_life_days') days of age). -#}
with

interactions as (
    select * from {{ ref('fct_product_interactions') }}
),

final as (
    select
        person_id,
        product_id,
        {{ interaction_aggregates(run_date()) }}
    from interactions
    group by person_id, product_id
)

select * from final
