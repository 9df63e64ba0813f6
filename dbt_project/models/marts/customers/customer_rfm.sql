{#- Recency, frequency and monetary value as of run_date for everyone with a revenue
    order, scored 1-5 by quintile. Ties are broken by person_id so scores are
    deterministic. Segment names come from the rfm_segments seed, one per cell.
    The btyd_ columns follow Fader, Hardie & Lee (macro btyd_summary): repeat purchase
    days, days from the first to the last purchase day, days from the first purchase
    day to run_date, and the mean revenue of the repeat purchase days. -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_revenue
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

purchase_days as (
    select person_id, order_date, sum(revenue) as day_revenue
    from orders
    group by person_id, order_date
),

btyd as (
    select
        person_id,
        {{ btyd_summary(run_date()) }}
    from purchase_days
    group by person_id
),

rfm as (
    select
        person_id,
        {{ dbt.datediff('max(ordered_at)', run_date(), 'day') }} as recency_days,
        count(*) as frequency,
        sum(revenue) as monetary_value
    from orders
    group by person_id
),

scored as (
    select
        *,
        ntile(5) over (order by recency_days desc, person_id) as r_score,
        ntile(5) over (order by frequency, person_id) as f_score,
        ntile(5) over (order by monetary_value, person_id) as m_score
    from rfm
),

final as (
    select
        scored.person_id,
        scored.recency_days,
        scored.frequency,
        cast(scored.monetary_value as decimal(18, 2)) as monetary_value,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        segments.rfm_cell,
        segments.rfm_segment,
        btyd.btyd_frequency,
        btyd.btyd_recency_days,
        btyd.btyd_t_days,
        cast(btyd.btyd_monetary_value as decimal(18, 2)) as btyd_monetary_value
    from scored
    inner join segments
        on segments.r_score = scored.r_score
        and segments.f_score = scored.f_score
        and segments.m_score = scored.m_score
    inner join btyd using (person_id)
)

select * from final
