{#- Person × product implicit feedback as of run_date. weight is the confidence for
    collaborative filtering: each view counts 1, each cart add 3, each purchase 5,
    halved every var('interaction_half_life_days') days of age. -#}
with

interactions as (
    select * from {{ ref('fct_product_interactions') }}
),

final as (
    select
        person_id,
        product_id,
        count(*) filter (where interaction_type = 'view') as view_count,
        count(*) filter (where interaction_type = 'cart_add') as cart_add_count,
        count(*) filter (where interaction_type = 'purchase') as purchase_count,
        max(occurred_at) as last_interaction_at,
        sum(
            case interaction_type when 'purchase' then 5.0 when 'cart_add' then 3.0 else 1.0 end
            * power(0.5, {{ dbt.datediff('occurred_at', run_date(), 'day') }}
                         / {{ var('interaction_half_life_days') }})
        ) as weight
    from interactions
    group by person_id, product_id
)

select * from final
