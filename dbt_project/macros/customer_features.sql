{#- The ML feature vector of every known person as of a cutoff date, using only data
    with timestamps on or before the cutoff. int_person_features_at_cutoffs computes it
    for every cutoff of int_feature_cutoffs (run_date and the history cutoffs) in one
    pass over each source; customer_features (cutoff = run_date) and
    customer_features_history (the earlier cutoffs) select from it, so the model trains
    and scores on the same definitions. The share of each product category is in long
    form (customer_category_shares), never in column names derived from the data. -#}

{#- The feature columns, in order (person_id and cutoff_date come first). -#}
{% macro feature_columns() -%}
    {{ return([
        'tenure_days', 'recency_days',
        'orders_30d', 'orders_90d', 'orders_365d', 'orders_lifetime',
        'revenue_30d', 'revenue_90d', 'revenue_365d',
        'avg_order_value', 'order_trend_90d', 'store_order_share_365d',
        'sessions_30d', 'sessions_90d', 'product_views_30d', 'product_views_90d',
        'cart_adds_30d', 'cart_adds_90d', 'session_trend_90d', 'days_since_last_visit',
        'email_sends_90d', 'email_opens_90d', 'email_clicks_90d', 'email_open_rate_90d',
    ]) }}
{%- endmacro %}

{#- The first instant after a cutoff date: records strictly before it count. -#}
{% macro cutoff_end(cutoff_date) -%}
    cast({{ dbt.dateadd('day', 1, cutoff_date) }} as timestamp)
{%- endmacro %}
