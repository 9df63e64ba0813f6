{#- The Buy-Till-You-Die summary of a person (Fader, Hardie & Lee), as select-list
    items over purchase days (one row per person and day with a revenue order,
    columns order_date and day_revenue) grouped by person: repeat purchase days, days
    from the first to the last purchase day, days from the first purchase day to
    as_of, and the mean revenue of the repeat purchase days (0 without one). Shared by
    customer_rfm (as of run_date) and btyd_summaries_at_cutoffs (as of each cutoff). -#}
{% macro btyd_summary(as_of) -%}
    count(*) - 1 as btyd_frequency,
    {{ dbt.datediff('min(order_date)', 'max(order_date)', 'day') }} as btyd_recency_days,
    {{ dbt.datediff('min(order_date)', as_of, 'day') }} as btyd_t_days,
    coalesce(
        (sum(day_revenue) - {{ arg_min('day_revenue', 'order_date') }})
            / nullif(count(*) - 1, 0),
        0
    ) as btyd_monetary_value
{%- endmacro %}
