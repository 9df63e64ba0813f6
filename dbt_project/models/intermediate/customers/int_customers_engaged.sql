{#- Each person's web, app and email activity as of run_date in one row: when last
    seen, and sessions, views, cart adds, opens and clicks over the last 30 and 90
    days. -#}
{%- set windows = [
    ('sessions', 30), ('sessions', 90), ('product_views', 30), ('product_views', 90),
    ('cart_adds', 90), ('email_opens', 90), ('email_clicks', 90)
] -%}
with

daily_activity as (
    select * from {{ ref('int_person_daily_activity') }}
),

final as (
    select
        person_id,
        max(last_seen_at) as last_seen_at,
        {%- for measure, days in windows %}
        sum({{ measure }}) filter (
            where activity_date > {{ dbt.dateadd('day', -days, run_date()) }}
        ) as {{ measure }}_{{ days }}d{{ ',' if not loop.last }}
        {%- endfor %}
    from daily_activity
    group by person_id
)

select * from final
