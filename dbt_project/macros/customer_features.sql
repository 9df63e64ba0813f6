{#- The ML feature vector of every known person as of a cutoff date, using only data
    with timestamps on or before the cutoff. customer_features (cutoff = run_date) and
    customer_features_history (several earlier cutoffs) both come from here, so the
    model trains and scores on the same definitions. Orders count at their gross
    value whatever their later status, so a status change after the cutoff cannot leak
    into a historical feature. -#}

{% macro feature_categories() -%}
    {%- if execute -%}
        {%- set rows = run_query(
            "select distinct category from " ~ ref('stg_shop__products')
            ~ " where category is not null order by 1"
        ) -%}
        {{ return(rows.columns[0].values() | list) }}
    {%- else -%}
        {{ return([]) }}
    {%- endif -%}
{%- endmacro %}

{% macro category_column(category) -%}
    category_share__{{ modules.re.sub('[^a-z0-9]+', '_', category | lower) | trim('_') }}
{%- endmacro %}

{% macro customer_features_as_of(cutoff, with_cutoff_date=true) %}
    {%- set cutoff_end = "cast(" ~ dbt.dateadd('day', 1, cutoff) ~ " as timestamp)" -%}
    {%- set categories = feature_categories() -%}
    select
        people.person_id,
        {%- if with_cutoff_date %}
        {{ cutoff }} as cutoff_date,
        {%- endif %}
        cast(least({{ dbt.datediff('people.first_seen_at', cutoff, 'day') }}, 3650) as double)
            as tenure_days,
        cast(coalesce(least({{ dbt.datediff('o.last_order_at', cutoff, 'day') }}, 730), 730)
            as double) as recency_days,
        cast(coalesce(o.orders_30d, 0) as double) as orders_30d,
        cast(coalesce(o.orders_90d, 0) as double) as orders_90d,
        cast(coalesce(o.orders_365d, 0) as double) as orders_365d,
        cast(coalesce(o.orders_lifetime, 0) as double) as orders_lifetime,
        cast(coalesce(o.revenue_30d, 0) as double) as revenue_30d,
        cast(coalesce(o.revenue_90d, 0) as double) as revenue_90d,
        cast(coalesce(o.revenue_365d, 0) as double) as revenue_365d,
        cast(coalesce(o.revenue_lifetime / nullif(o.orders_lifetime, 0), 0) as double)
            as avg_order_value,
        cast(coalesce(o.orders_90d, 0) - coalesce(o.orders_365d, 0) / 4.0 as double)
            as order_trend_90d,
        cast(coalesce(o.store_orders_365d / nullif(o.orders_365d, 0), 0) as double)
            as store_order_share_365d,
        cast(coalesce(a.sessions_30d, 0) as double) as sessions_30d,
        cast(coalesce(a.sessions_90d, 0) as double) as sessions_90d,
        cast(coalesce(a.product_views_30d, 0) as double) as product_views_30d,
        cast(coalesce(a.product_views_90d, 0) as double) as product_views_90d,
        cast(coalesce(a.cart_adds_30d, 0) as double) as cart_adds_30d,
        cast(coalesce(a.cart_adds_90d, 0) as double) as cart_adds_90d,
        cast(coalesce(a.sessions_90d, 0) - coalesce(a.sessions_365d, 0) / 4.0 as double)
            as session_trend_90d,
        cast(coalesce(least({{ dbt.datediff('a.last_visit_date', cutoff, 'day') }}, 730), 730)
            as double) as days_since_last_visit,
        cast(coalesce(a.email_sends_90d, 0) as double) as email_sends_90d,
        cast(coalesce(a.email_opens_90d, 0) as double) as email_opens_90d,
        cast(coalesce(a.email_clicks_90d, 0) as double) as email_clicks_90d,
        cast(coalesce(a.email_opens_90d / nullif(a.email_sends_90d, 0), 0) as double)
            as email_open_rate_90d{{ ',' if categories }}
        {%- for category in categories %}
        cast(coalesce(c.revenue__{{ loop.index }} / nullif(c.revenue_total, 0), 0) as double)
            as {{ category_column(category) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_persons_known') }} as people
    left join (
        select
            person_id,
            max(ordered_at) as last_order_at,
            count(*) filter (where ordered_at >= {{ dbt.dateadd('day', -29, cutoff) }})
                as orders_30d,
            count(*) filter (where ordered_at >= {{ dbt.dateadd('day', -89, cutoff) }})
                as orders_90d,
            count(*) filter (where ordered_at >= {{ dbt.dateadd('day', -364, cutoff) }})
                as orders_365d,
            count(*) as orders_lifetime,
            coalesce(sum(gross_revenue) filter (
                where ordered_at >= {{ dbt.dateadd('day', -29, cutoff) }}), 0) as revenue_30d,
            coalesce(sum(gross_revenue) filter (
                where ordered_at >= {{ dbt.dateadd('day', -89, cutoff) }}), 0) as revenue_90d,
            coalesce(sum(gross_revenue) filter (
                where ordered_at >= {{ dbt.dateadd('day', -364, cutoff) }}), 0) as revenue_365d,
            sum(gross_revenue) as revenue_lifetime,
            count(*) filter (where channel = 'store'
                and ordered_at >= {{ dbt.dateadd('day', -364, cutoff) }}) as store_orders_365d
        from {{ ref('fct_orders') }}
        where ordered_at < {{ cutoff_end }}
        group by person_id
    ) as o using (person_id)
    left join (
        select
            person_id,
            max(activity_date) filter (where sessions > 0) as last_visit_date,
            sum(sessions) filter (where activity_date > {{ dbt.dateadd('day', -30, cutoff) }})
                as sessions_30d,
            sum(sessions) filter (where activity_date > {{ dbt.dateadd('day', -90, cutoff) }})
                as sessions_90d,
            sum(sessions) filter (where activity_date > {{ dbt.dateadd('day', -365, cutoff) }})
                as sessions_365d,
            sum(product_views) filter (
                where activity_date > {{ dbt.dateadd('day', -30, cutoff) }}) as product_views_30d,
            sum(product_views) filter (
                where activity_date > {{ dbt.dateadd('day', -90, cutoff) }}) as product_views_90d,
            sum(cart_adds) filter (
                where activity_date > {{ dbt.dateadd('day', -30, cutoff) }}) as cart_adds_30d,
            sum(cart_adds) filter (
                where activity_date > {{ dbt.dateadd('day', -90, cutoff) }}) as cart_adds_90d,
            sum(email_sends) filter (
                where activity_date > {{ dbt.dateadd('day', -90, cutoff) }}) as email_sends_90d,
            sum(email_opens) filter (
                where activity_date > {{ dbt.dateadd('day', -90, cutoff) }}) as email_opens_90d,
            sum(email_clicks) filter (
                where activity_date > {{ dbt.dateadd('day', -90, cutoff) }}) as email_clicks_90d
        from {{ ref('int_person_daily_activity') }}
        where activity_date <= {{ cutoff }}
        group by person_id
    ) as a using (person_id)
    left join (
        select
            person_id,
            sum(line_revenue) as revenue_total{{ ',' if categories }}
            {%- for category in categories %}
            sum(line_revenue) filter (where category = '{{ category }}')
                as revenue__{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ ref('fct_order_items') }}
        where ordered_at < {{ cutoff_end }}
          and ordered_at >= {{ dbt.dateadd('day', -364, cutoff) }}
        group by person_id
    ) as c using (person_id)
    where people.first_seen_at < {{ cutoff_end }}
{% endmacro %}
