{#- Retention by cohort: people grouped by the month they signed up (dim_customers.
    created_at) or made their first revenue order, and for every month since, up to
    run_date's month, how many of them placed a revenue order in it. Month 0 of a
    first-order cohort is 100% by construction; the month of run_date counts only its
    days up to run_date (is_month_to_date). -#}
{%- set max_months = 600 -%}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_revenue and order_date <= {{ run_date() }}
),

first_orders as (
    select person_id, min(order_date) as first_order_date
    from orders
    group by person_id
),

members as (
    select
        'signup' as cohort_basis,
        person_id,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as cohort_month
    from customers
    where created_at is not null and cast(created_at as date) <= {{ run_date() }}
    union all
    select
        'first_order' as cohort_basis,
        person_id,
        cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) as cohort_month
    from first_orders
),

active_months as (
    select distinct
        person_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as activity_month
    from orders
),

cohorts as (
    select cohort_basis, cohort_month, count(*) as cohort_size
    from members
    group by cohort_basis, cohort_month
),

offsets as (
    select generated_number - 1 as months_since_cohort
    from ({{ dbt.generate_series(max_months) }}) as series
),

grid as (
    select
        cohorts.cohort_basis,
        cohorts.cohort_month,
        cohorts.cohort_size,
        offsets.months_since_cohort,
        cast({{ dbt.dateadd('month', 'offsets.months_since_cohort', 'cohorts.cohort_month') }} as date)
            as activity_month
    from cohorts
    cross join offsets
    where offsets.months_since_cohort
        <= {{ dbt.datediff('cohorts.cohort_month', run_date(), 'month') }}
),

activity as (
    select
        members.cohort_basis,
        members.cohort_month,
        active_months.activity_month,
        count(*) as active_people
    from members
    inner join active_months
        on active_months.person_id = members.person_id
        and active_months.activity_month >= members.cohort_month
    group by members.cohort_basis, members.cohort_month, active_months.activity_month
),

final as (
    select
        grid.cohort_basis,
        grid.cohort_month,
        grid.months_since_cohort,
        grid.activity_month,
        grid.cohort_size,
        coalesce(activity.active_people, 0) as active_people,
        cast(coalesce(activity.active_people, 0) as double precision) / grid.cohort_size
            as active_share,
        grid.activity_month = cast({{ dbt.date_trunc('month', run_date()) }} as date)
            as is_month_to_date
    from grid
    left join activity
        on activity.cohort_basis = grid.cohort_basis
        and activity.cohort_month = grid.cohort_month
        and activity.activity_month = grid.activity_month
)

select * from final
