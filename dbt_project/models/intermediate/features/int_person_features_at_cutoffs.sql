{#- The feature vector of every known person at every cutoff of int_feature_cutoffs,
    each from data on or before its cutoff: the cutoffs are joined to the orders and to
    the daily activity once, not one query per cutoff. Orders count at their gross value
    whatever their later status, so a status change after a cutoff cannot leak into a
    historical feature. -#}
with

cutoffs as (
    select
        cutoff_date,
        {{ cutoff_end('cutoff_date') }} as cutoff_end
    from {{ ref('int_feature_cutoffs') }}
),

people as (
    select * from {{ ref('int_persons_known') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

daily_activity as (
    select * from {{ ref('int_person_daily_activity') }}
),

people_at_cutoffs as (
    select
        people.person_id,
        cutoffs.cutoff_date,
        people.first_seen_at
    from people
    inner join cutoffs on people.first_seen_at < cutoffs.cutoff_end
),

order_totals as (
    select
        orders.person_id,
        cutoffs.cutoff_date,
        max(orders.ordered_at) as last_order_at,
        {%- for days in [30, 90, 365] %}
        count(case when orders.ordered_at >= {{ dbt.dateadd('day', 1 - days, 'cutoffs.cutoff_date') }}
            then 1 end) as orders_{{ days }}d,
        {%- endfor %}
        count(*) as orders_lifetime,
        {%- for days in [30, 90, 365] %}
        coalesce(sum(case when orders.ordered_at >= {{ dbt.dateadd('day', 1 - days, 'cutoffs.cutoff_date') }}
            then orders.gross_revenue end), 0) as revenue_{{ days }}d,
        {%- endfor %}
        sum(orders.gross_revenue) as revenue_lifetime,
        count(case when orders.channel = 'store'
            and orders.ordered_at >= {{ dbt.dateadd('day', -364, 'cutoffs.cutoff_date') }}
            then 1 end) as store_orders_365d
    from orders
    inner join cutoffs on orders.ordered_at < cutoffs.cutoff_end
    group by orders.person_id, cutoffs.cutoff_date
),

{#- Activity older than 730 days cannot change a feature: the windows reach back a
    year and days_since_last_visit is capped at 730 (also its value without a visit). -#}
activity_totals as (
    select
        daily.person_id,
        cutoffs.cutoff_date,
        max(case when daily.sessions > 0 then daily.activity_date end) as last_visit_date,
        {%- for measure, windows in [
            ('sessions', [30, 90, 365]),
            ('product_views', [30, 90]),
            ('cart_adds', [30, 90]),
            ('email_sends', [90]),
            ('email_opens', [90]),
            ('email_clicks', [90]),
        ] %}
        {%- for days in windows %}
        sum(case when daily.activity_date > {{ dbt.dateadd('day', -days, 'cutoffs.cutoff_date') }}
            then daily.{{ measure }} end) as {{ measure }}_{{ days }}d
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from daily_activity as daily
    inner join cutoffs
        on daily.activity_date <= cutoffs.cutoff_date
        and daily.activity_date > {{ dbt.dateadd('day', -730, 'cutoffs.cutoff_date') }}
    group by daily.person_id, cutoffs.cutoff_date
),

final as (
    select
        people.person_id,
        people.cutoff_date,
        cast(least({{ dbt.datediff('people.first_seen_at', 'people.cutoff_date', 'day') }}, 3650)
            as double precision) as tenure_days,
        cast(coalesce(least({{ dbt.datediff('o.last_order_at', 'people.cutoff_date', 'day') }}, 730), 730)
            as double precision) as recency_days,
        cast(coalesce(o.orders_30d, 0) as double precision) as orders_30d,
        cast(coalesce(o.orders_90d, 0) as double precision) as orders_90d,
        cast(coalesce(o.orders_365d, 0) as double precision) as orders_365d,
        cast(coalesce(o.orders_lifetime, 0) as double precision) as orders_lifetime,
        cast(coalesce(o.revenue_30d, 0) as double precision) as revenue_30d,
        cast(coalesce(o.revenue_90d, 0) as double precision) as revenue_90d,
        cast(coalesce(o.revenue_365d, 0) as double precision) as revenue_365d,
        cast(coalesce(o.revenue_lifetime / nullif(o.orders_lifetime, 0), 0) as double precision)
            as avg_order_value,
        cast(coalesce(o.orders_90d, 0) - coalesce(o.orders_365d, 0) / 4.0 as double precision)
            as order_trend_90d,
        cast(coalesce(o.store_orders_365d / nullif(o.orders_365d, 0), 0) as double precision)
            as store_order_share_365d,
        cast(coalesce(a.sessions_30d, 0) as double precision) as sessions_30d,
        cast(coalesce(a.sessions_90d, 0) as double precision) as sessions_90d,
        cast(coalesce(a.product_views_30d, 0) as double precision) as product_views_30d,
        cast(coalesce(a.product_views_90d, 0) as double precision) as product_views_90d,
        cast(coalesce(a.cart_adds_30d, 0) as double precision) as cart_adds_30d,
        cast(coalesce(a.cart_adds_90d, 0) as double precision) as cart_adds_90d,
        cast(coalesce(a.sessions_90d, 0) - coalesce(a.sessions_365d, 0) / 4.0 as double precision)
            as session_trend_90d,
        cast(coalesce(least({{ dbt.datediff('a.last_visit_date', 'people.cutoff_date', 'day') }}, 730), 730)
            as double precision) as days_since_last_visit,
        cast(coalesce(a.email_sends_90d, 0) as double precision) as email_sends_90d,
        cast(coalesce(a.email_opens_90d, 0) as double precision) as email_opens_90d,
        cast(coalesce(a.email_clicks_90d, 0) as double precision) as email_clicks_90d,
        cast(coalesce(a.email_opens_90d / nullif(a.email_sends_90d, 0), 0) as double precision)
            as email_open_rate_90d
    from people_at_cutoffs as people
    left join order_totals as o
        on o.person_id = people.person_id and o.cutoff_date = people.cutoff_date
    left join activity_totals as a
        on a.person_id = people.person_id and a.cutoff_date = people.cutoff_date
)

select * from final
