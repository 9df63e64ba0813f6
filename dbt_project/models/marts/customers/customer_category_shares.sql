{#- Each person's share of the last year's purchase revenue per product category, at
    every cutoff of int_feature_cutoffs (run_date and the history cutoffs), in long form:
    one row per person, cutoff and category they bought from. A category without a row
    is a share of 0. The models pivot it to one feature per category. -#}
with

cutoffs as (
    select
        cutoff_date,
        {{ cutoff_end('cutoff_date') }} as cutoff_end
    from {{ ref('int_feature_cutoffs') }}
),

order_items as (
    select * from {{ ref('fct_order_items') }}
),

last_year_lines as (
    select
        order_items.person_id,
        cutoffs.cutoff_date,
        order_items.category,
        order_items.line_revenue
    from order_items
    inner join cutoffs
        on order_items.ordered_at < cutoffs.cutoff_end
        and order_items.ordered_at >= {{ dbt.dateadd('day', -364, 'cutoffs.cutoff_date') }}
),

person_totals as (
    select
        person_id,
        cutoff_date,
        sum(line_revenue) as revenue_total
    from last_year_lines
    group by person_id, cutoff_date
),

category_totals as (
    select
        person_id,
        cutoff_date,
        category,
        sum(line_revenue) as revenue
    from last_year_lines
    where category is not null
    group by person_id, cutoff_date, category
),

final as (
    select
        category_totals.person_id,
        category_totals.cutoff_date,
        category_totals.category,
        cast(coalesce(category_totals.revenue / nullif(person_totals.revenue_total, 0), 0)
            as double precision) as revenue_share
    from category_totals
    inner join person_totals
        on person_totals.person_id = category_totals.person_id
        and person_totals.cutoff_date = category_totals.cutoff_date
)

select * from final
