{#- Each person's journey stage as of run_date, from the rules of the journey_stages
    seed: a rule holds when every threshold it fills in holds (an empty cell is no
    condition), and the rule with the lowest priority number wins. Analysts change the
    stages by editing seeds/journey_stages.csv and running dbt again; a person no rule
    matches fails the build (not_null on journey_stage). -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

rules as (
    select * from {{ ref('journey_stages') }}
),

facts as (
    select
        person_id,
        coalesce(lifetime_orders, 0) as lifetime_orders,
        case
            when last_order_at is not null
                then {{ dbt.datediff('cast(last_order_at as date)', run_date(), 'day') }}
        end as days_since_last_order,
        coalesce(product_views_90d, 0) as product_views_90d,
        coalesce(cart_adds_90d, 0) as cart_adds_90d
    from customers
),

matches as (
    select
        facts.person_id,
        rules.stage,
        rules.stage_order,
        rules.priority,
        row_number() over (partition by facts.person_id order by rules.priority, rules.stage)
            as match_rank
    from facts
    inner join rules
        on (rules.min_orders is null or facts.lifetime_orders >= rules.min_orders)
        and (rules.max_orders is null or facts.lifetime_orders <= rules.max_orders)
        and (
            rules.min_days_since_last_order is null
            or facts.days_since_last_order >= rules.min_days_since_last_order
        )
        and (
            rules.max_days_since_last_order is null
            or facts.days_since_last_order <= rules.max_days_since_last_order
        )
        and (
            rules.min_product_views_90d is null
            or facts.product_views_90d >= rules.min_product_views_90d
        )
        and (rules.min_cart_adds_90d is null or facts.cart_adds_90d >= rules.min_cart_adds_90d)
),

final as (
    select
        facts.person_id,
        matches.stage as journey_stage,
        matches.stage_order,
        matches.priority as rule_priority,
        facts.lifetime_orders,
        facts.days_since_last_order
    from facts
    left join matches
        on matches.person_id = facts.person_id
        and matches.match_rank = 1
)

select * from final
