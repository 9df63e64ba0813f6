{{ config(materialized='view') }}

{#- What each treated and control member of an earlier night did next: one row per
    run date, audience, person and outcome window (var lift_window_days), for every
    night audience_sends recorded before tonight. The window opens the day after the
    night and runs window_days days, observed up to tonight's run date (marts are as
    of the run date, so a window still open counts what happened so far); the
    pre-period is the same number of days up to and including the night (CUPED's
    covariate). A view: it reads audience_sends and fct_orders when queried, so it is
    never behind either. On the very first build audience_sends does not exist yet and
    the view is empty. -#}

{%- set sends_relation = ref('audience_sends') -%}
{%- set has_sends = execute and adapter.get_relation(
    database=sends_relation.database,
    schema=sends_relation.schema,
    identifier=sends_relation.identifier,
) is not none -%}
{%- set windows = var('lift_window_days', [7, 30]) -%}

with

{%- if has_sends %}

sends as (
    select * from {{ sends_relation }}
    where status in ('treated', 'control')
        and run_date < {{ run_date() }}
),

{%- else %}

sends as (
    {#- No night recorded yet. #}
    select
        cast(null as date) as run_date,
        cast(null as {{ dbt.type_string() }}) as audience,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as variant,
        cast(null as {{ dbt.type_boolean() }}) as is_control
    where 1 = 0
),

{%- endif %}

orders as (
    select
        person_id,
        order_date,
        revenue
    from {{ ref('fct_orders') }}
    where is_revenue
),

windows as (
    {%- for days in windows %}
    select {{ days | int }} as window_days
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

member_windows as (
    select
        sends.run_date,
        sends.audience,
        sends.person_id,
        sends.channel,
        sends.variant,
        sends.is_control,
        windows.window_days,
        cast({{ dbt.dateadd('day', 'windows.window_days', 'sends.run_date') }} as date)
            as window_end_date,
        cast({{ dbt.dateadd('day', '-windows.window_days', 'sends.run_date') }} as date)
            as pre_period_start_date
    from sends
    cross join windows
),

outcomes as (
    select
        member_windows.run_date,
        member_windows.audience,
        member_windows.person_id,
        member_windows.window_days,
        sum(case
            when orders.order_date > member_windows.run_date
                and orders.order_date <= member_windows.window_end_date then 1 else 0
        end) as orders,
        sum(case
            when orders.order_date > member_windows.run_date
                and orders.order_date <= member_windows.window_end_date
                then orders.revenue else 0
        end) as revenue,
        sum(case
            when orders.order_date > member_windows.pre_period_start_date
                and orders.order_date <= member_windows.run_date
                then orders.revenue else 0
        end) as pre_period_revenue
    from member_windows
    left join orders
        on orders.person_id = member_windows.person_id
        and orders.order_date > member_windows.pre_period_start_date
        and orders.order_date <= member_windows.window_end_date
    group by
        member_windows.run_date,
        member_windows.audience,
        member_windows.person_id,
        member_windows.window_days
),

final as (
    select
        member_windows.run_date,
        member_windows.audience,
        member_windows.person_id,
        member_windows.channel,
        member_windows.variant,
        member_windows.window_days,
        {{ dbt.datediff('member_windows.run_date', 'least(member_windows.window_end_date, ' ~ run_date() ~ ')', 'day') }}
            as days_observed,
        cast(outcomes.orders as integer) as orders,
        cast(outcomes.revenue as decimal(18, 2)) as revenue,
        cast(outcomes.pre_period_revenue as decimal(18, 2)) as pre_period_revenue,
        member_windows.is_control,
        outcomes.orders > 0 as has_converted,
        member_windows.window_end_date <= {{ run_date() }} as is_window_closed,
        member_windows.window_end_date
    from member_windows
    inner join outcomes
        on outcomes.run_date = member_windows.run_date
        and outcomes.audience = member_windows.audience
        and outcomes.person_id = member_windows.person_id
        and outcomes.window_days = member_windows.window_days
)

select * from final
