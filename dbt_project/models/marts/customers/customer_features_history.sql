{#- The same feature vector at var('feature_history_cutoffs') earlier cutoffs,
    var('feature_history_spacing_days') apart, each from data on or before its cutoff.
    The churn model trains on it. #}
-- depends_on: {{ ref('stg_shop__products') }}
{% set cutoffs = [] -%}
{%- for i in range(1, var('feature_history_cutoffs') + 1) -%}
    {%- do cutoffs.append(
        "cast(" ~ dbt.dateadd('day', -i * var('feature_history_spacing_days'), run_date()) ~ " as date)"
    ) -%}
{%- endfor -%}
{%- for cutoff in cutoffs %}
select * from ({{ customer_features_as_of(cutoff) }})
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
